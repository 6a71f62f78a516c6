//! Words of a vocabulary in English, Chinese and German.
//!
//! Renderings name terms, event kinds, fields, parties and enum variants through a
//! [`Glossary`]: the vocabulary's own `label` items first, then this module's table of the
//! standard vocabulary's words. It only supplies words: the logic of a rendering always comes
//! from the compiled IR. A word neither knows is shown as written in the clause (English turns
//! `_` into spaces), so a clause with its own vocabulary still renders completely.

use super::Lang;
use crate::ir::Program;
use crate::vocab::WordLabels;

/// `(key, en, zh, de)`. Keys: `term:NAME`, `kind:KIND`, `field:NAME`, `stmt:NAME` (a boolean
/// field read as a statement), `party:NAME`, `variant:NAME`.
const WORDS: &[(&str, &str, &str, &str)] = &[
    // Terms.
    (
        "term:transport_mode",
        "the transport mode",
        "运输方式",
        "Transportart",
    ),
    (
        "term:delivery_due",
        "the delivery due date",
        "交货期限",
        "Liefertermin",
    ),
    ("term:price", "the price", "价款", "Preis"),
    (
        "term:pieces_ordered",
        "the number of pieces ordered",
        "订购件数",
        "bestellte Stückzahl",
    ),
    (
        "term:route_regions",
        "the regions on the route",
        "途经地区",
        "Regionen der Route",
    ),
    (
        "term:buyer_may_terminate",
        "the buyer's right to terminate",
        "买方解除权",
        "Rücktrittsrecht des Käufers",
    ),
    // Event kinds.
    (
        "kind:shipment.departed",
        "the shipment departs",
        "货物发运",
        "die Sendung wird versandt",
    ),
    (
        "kind:shipment.eta_updated",
        "the estimated arrival is updated",
        "预计到达时间更新",
        "die voraussichtliche Ankunft wird aktualisiert",
    ),
    (
        "kind:shipment.delivered",
        "the shipment is delivered",
        "货物交付",
        "die Sendung wird zugestellt",
    ),
    (
        "kind:weather.alert",
        "a weather alert is issued",
        "发布气象预警",
        "eine Wetterwarnung wird ausgegeben",
    ),
    (
        "kind:health.emergency",
        "a public-health emergency is reported",
        "发生公共卫生事件",
        "ein Gesundheitsnotstand wird gemeldet",
    ),
    (
        "kind:return.requested",
        "a return is requested",
        "买方申请退货",
        "eine Rücksendung wird beantragt",
    ),
    (
        "kind:return.inspected",
        "the returned goods are inspected",
        "退货验收",
        "die Rücksendung wird geprüft",
    ),
    (
        "kind:coldchain.temperature_breach",
        "a cold-chain temperature breach is reported",
        "冷链温度超标",
        "eine Unterbrechung der Kühlkette wird gemeldet",
    ),
    // Event kinds as nouns ("the last …").
    ("noun:shipment.departed", "departure", "发运", "Abfahrt"),
    (
        "noun:shipment.eta_updated",
        "arrival forecast",
        "到达预测",
        "Ankunftsprognose",
    ),
    ("noun:shipment.delivered", "delivery", "交付", "Zustellung"),
    (
        "noun:weather.alert",
        "weather alert",
        "气象预警",
        "Wetterwarnung",
    ),
    (
        "noun:health.emergency",
        "health emergency",
        "公共卫生事件",
        "Gesundheitsnotstand",
    ),
    (
        "noun:return.requested",
        "return request",
        "退货申请",
        "Rücksendeantrag",
    ),
    (
        "noun:return.inspected",
        "return inspection",
        "退货验收",
        "Rücksendeprüfung",
    ),
    (
        "noun:coldchain.temperature_breach",
        "temperature breach",
        "温度超标",
        "Temperaturverletzung",
    ),
    (
        "kind:shipment.partially_delivered",
        "part of the goods is delivered",
        "部分货物交付",
        "eine Teillieferung wird zugestellt",
    ),
    (
        "noun:shipment.partially_delivered",
        "partial delivery",
        "分批交付",
        "Teillieferung",
    ),
    (
        "kind:shipment.weighed",
        "the goods are weighed",
        "货物称重",
        "die Ware wird gewogen",
    ),
    ("noun:shipment.weighed", "weighing", "称重", "Wägung"),
    (
        "kind:option.exercised",
        "a party exercises an option",
        "当事方行使选择权",
        "eine Partei übt eine Option aus",
    ),
    (
        "noun:option.exercised",
        "exercise of an option",
        "行使选择权",
        "Ausübung einer Option",
    ),
    // Event fields.
    ("field:at", "time", "时间", "Zeitpunkt"),
    ("field:port", "port", "港口", "Hafen"),
    (
        "field:eta",
        "estimated arrival",
        "预计到达时间",
        "voraussichtliche Ankunft",
    ),
    ("field:received_by", "recipient", "收货人", "Empfänger"),
    ("field:kind", "kind", "类型", "Art"),
    ("field:level", "level", "级别", "Stufe"),
    ("field:region", "region", "地区", "Region"),
    // Level 1 is the most severe: "at most 2" must not read as "not more severe than 2".
    (
        "field:national_response_level",
        "national response level (1 is the most severe)",
        "国家应急响应级别（1级为最高级别）",
        "nationale Reaktionsstufe (Stufe 1 ist die höchste)",
    ),
    (
        "field:epidemic_situation_declared",
        "declaration of an epidemic situation",
        "疫情状态宣布",
        "Feststellung einer epidemischen Lage",
    ),
    (
        "field:who_pheic",
        "WHO public health emergency of international concern",
        "世卫组织国际关注的突发公共卫生事件",
        "gesundheitliche Notlage internationaler Tragweite (WHO)",
    ),
    ("field:reason", "reason", "原因", "Grund"),
    ("field:appearance", "appearance", "外观", "Zustand"),
    (
        "field:accessories_complete",
        "completeness of accessories",
        "配件齐全",
        "Vollständigkeit des Zubehörs",
    ),
    (
        "field:max_celsius",
        "highest temperature (°C)",
        "最高温度（°C）",
        "Höchsttemperatur (°C)",
    ),
    ("field:lasted", "duration", "持续时间", "Dauer"),
    ("field:sensor", "sensor", "传感器", "Sensor"),
    ("field:pieces", "number of pieces", "件数", "Stückzahl"),
    ("field:gross", "gross mass", "毛重", "Bruttomasse"),
    ("field:clause_name", "clause", "条款", "Klausel"),
    ("field:option_name", "option", "选择权", "Option"),
    // Boolean fields read as statements.
    (
        "stmt:epidemic_situation_declared",
        "an epidemic situation has been declared",
        "已宣布疫情状态",
        "eine epidemische Lage ist festgestellt",
    ),
    (
        "stmt:who_pheic",
        "the WHO has declared a public health emergency of international concern",
        "世卫组织已宣布国际关注的突发公共卫生事件",
        "die WHO hat eine gesundheitliche Notlage internationaler Tragweite festgestellt",
    ),
    (
        "stmt:accessories_complete",
        "the accessories are complete",
        "配件齐全",
        "das Zubehör ist vollständig",
    ),
    (
        "stmt:buyer_may_terminate",
        "the buyer may terminate",
        "买方有权解除合同",
        "der Käufer darf zurücktreten",
    ),
    // Parties.
    ("party:seller", "the seller", "卖方", "Verkäufer"),
    ("party:buyer", "the buyer", "买方", "Käufer"),
    ("party:carrier", "the carrier", "承运人", "Frachtführer"),
    ("party:insurer", "the insurer", "保险人", "Versicherer"),
    // Enum variants.
    ("variant:sea", "sea freight", "海运", "Seefracht"),
    ("variant:rail", "rail freight", "铁路运输", "Bahnfracht"),
    (
        "variant:road",
        "road freight",
        "公路运输",
        "Straßentransport",
    ),
    ("variant:air", "air freight", "空运", "Luftfracht"),
    ("variant:green", "green", "绿色", "Grün"),
    ("variant:blue", "blue", "蓝色", "Blau"),
    ("variant:yellow", "yellow", "黄色", "Gelb"),
    ("variant:orange", "orange", "橙色", "Orange"),
    ("variant:red", "red", "红色", "Rot"),
    ("variant:intact", "intact", "完好", "einwandfrei"),
    ("variant:damaged", "damaged", "损坏", "beschädigt"),
];

/// The word for `key` in the built-in table, if it knows it.
fn table(lang: Lang, key: &str) -> Option<&'static str> {
    WORDS
        .iter()
        .find(|(k, ..)| *k == key)
        .map(|(_, en, zh, de)| match lang {
            Lang::En => *en,
            Lang::Zh => *zh,
            Lang::De => *de,
        })
}

fn fallback(lang: Lang, name: &str) -> String {
    match lang {
        Lang::En => name.replace('_', " "),
        Lang::Zh => format!("「{name}」"),
        Lang::De => format!("„{name}“"),
    }
}

/// German nouns of the table with their definite article in the nominative, for sentences
/// that need one (`der Liefertermin verschiebt sich`). Keys as in the table.
const ARTICLES_DE: &[(&str, &str)] = &[
    ("term:transport_mode", "die"),
    ("term:delivery_due", "der"),
    ("term:price", "der"),
    ("term:pieces_ordered", "die"),
    ("term:route_regions", "die"),
    ("term:buyer_may_terminate", "das"),
    ("field:at", "der"),
    ("field:port", "der"),
    ("field:eta", "die"),
    ("field:received_by", "der"),
    ("field:kind", "die"),
    ("field:level", "die"),
    ("field:region", "die"),
    ("field:national_response_level", "die"),
    ("field:epidemic_situation_declared", "die"),
    ("field:who_pheic", "die"),
    ("field:reason", "der"),
    ("field:appearance", "der"),
    ("field:accessories_complete", "die"),
    ("field:max_celsius", "die"),
    ("field:lasted", "die"),
    ("field:sensor", "der"),
    ("field:pieces", "die"),
    ("field:gross", "die"),
    ("field:clause_name", "die"),
    ("field:option_name", "die"),
];

/// German labels of these categories start with their article (`die Lieferklausel`).
const DE_WITH_ARTICLE: [&str; 4] = ["term:", "field:", "party:", "attester:"];

/// `der Spediteur` → `Spediteur`; a phrase without a leading article as it is.
fn without_article(phrase: &str) -> &str {
    ["der ", "die ", "das "]
        .iter()
        .find_map(|article| phrase.strip_prefix(article))
        .unwrap_or(phrase)
}

/// Where renderings find the words of a vocabulary: its own `label` items first
/// ([`WordLabels`]), then the built-in table of the standard vocabulary, then the name as the
/// clause writes it. The labels come from the program's source files, not from any clause's
/// IR: a label added or reworded later changes no clause id, and a bundle written before
/// labels existed renders as it always did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Glossary<'a> {
    labels: Option<&'a WordLabels>,
}

impl<'a> Glossary<'a> {
    /// The built-in words alone.
    pub const STANDARD: Glossary<'static> = Glossary { labels: None };

    pub fn new(labels: &'a WordLabels) -> Glossary<'a> {
        Glossary {
            labels: Some(labels),
        }
    }

    /// The words of `program`'s vocabulary.
    pub fn of(program: &'a Program) -> Glossary<'a> {
        Glossary::new(&program.vocabulary.labels)
    }

    /// The vocabulary's label for `key`, as written (a German one with its article),
    /// control and bidirectional characters escaped: it is the vocabulary author's text.
    fn label(&self, lang: Lang, key: &str) -> Option<String> {
        let label = self.labels?.get(key, lang.code())?;
        Some(crate::untrusted::escape(label).into_owned())
    }

    /// The word for `key` in `lang` (`party:seller` → `Verkäufer`; a German label without its
    /// article, as the table's words are).
    pub fn lookup(&self, lang: Lang, key: &str) -> Option<String> {
        match self.label(lang, key) {
            Some(label)
                if lang == Lang::De && DE_WITH_ARTICLE.iter().any(|p| key.starts_with(p)) =>
            {
                Some(without_article(&label).to_string())
            }
            Some(label) => Some(label),
            None => table(lang, key).map(str::to_string),
        }
    }

    /// The word for `prefix:name`, or the name as written (English: `_` shown as a space).
    pub fn word(&self, lang: Lang, prefix: &str, name: &str) -> String {
        self.lookup(lang, &format!("{prefix}:{name}"))
            .unwrap_or_else(|| fallback(lang, name))
    }

    /// A German noun phrase for `prefix:name` with its article (`der Liefertermin`), or the
    /// clause's spelling in quotes after `fallback` (`die Vertragsbedingung „incoterm“`).
    fn noun_de(&self, prefix: &str, name: &str, fallback: &str) -> String {
        let key = format!("{prefix}:{name}");
        if let Some(label) = self.label(Lang::De, &key) {
            return label;
        }
        let article = ARTICLES_DE.iter().find(|(k, _)| *k == key).map(|(_, a)| *a);
        match (article, table(Lang::De, &key)) {
            (Some(article), Some(noun)) => format!("{article} {noun}"),
            (None, Some(noun)) => noun.to_string(),
            (_, None) => format!("{fallback} „{name}“"),
        }
    }

    /// A term as a German noun phrase in the nominative: `der Liefertermin`.
    pub fn term_de(&self, name: &str) -> String {
        self.noun_de("term", name, "die Vertragsbedingung")
    }

    /// An event field as a German noun phrase in the nominative: `die Stufe`.
    pub fn field_de(&self, name: &str) -> String {
        self.noun_de("field", name, "das Feld")
    }

    /// A party as a German noun phrase in the nominative: `der Verkäufer`, a label as written
    /// (`die Bank`), else `die Partei „name“`.
    pub fn party_de(&self, name: &str) -> String {
        let key = format!("party:{name}");
        if let Some(label) = self.label(Lang::De, &key) {
            return label;
        }
        match table(Lang::De, &key) {
            // The built-in roles are all masculine nouns.
            Some(noun) => format!("der {noun}"),
            None => format!("die Partei „{name}“"),
        }
    }

    /// How a term is named: its label, the table's word, or `the term “name”`.
    pub fn term(&self, lang: Lang, name: &str) -> String {
        self.lookup(lang, &format!("term:{name}"))
            .unwrap_or_else(|| match lang {
                Lang::En => format!("the term {}", name.replace('_', " ")),
                Lang::Zh => format!("条款项「{name}」"),
                Lang::De => format!("Vertragsbedingung „{name}“"),
            })
    }

    /// How the occurrence of an event kind is phrased (“the shipment is delivered”; German as
    /// a main clause, “die Sendung wird zugestellt”): the vocabulary's `occurrence` label, else
    /// its `event` label as a noun (“a new customs clearance is recorded”), else the table.
    pub fn occurrence(&self, lang: Lang, kind: &str) -> String {
        if let Some(phrase) = self.label(lang, &format!("kind:{kind}")) {
            return phrase;
        }
        let key = format!("noun:{kind}");
        if let Some(noun) = self.label(lang, &key) {
            return match lang {
                Lang::En => format!("a new {noun} is recorded"),
                Lang::Zh => format!("记录新的{noun}"),
                Lang::De => format!("eine neue Meldung „{noun}“ wird erfasst"),
            };
        }
        table(lang, &format!("kind:{kind}")).map_or_else(
            || match lang {
                Lang::En => format!("a {kind} event occurs"),
                Lang::Zh => format!("发生「{kind}」事件"),
                Lang::De => format!("ein Ereignis „{kind}“ tritt ein"),
            },
            str::to_string,
        )
    }

    /// An attester's `attester` label in `lang` ("the weather service"; German without its
    /// article, as a role is: "Wetterdienst"); none without one, as in a bundle signed before
    /// attester labels (the name as the contract writes it is all there is).
    pub fn attester(&self, lang: Lang, name: &str) -> Option<String> {
        self.lookup(lang, &format!("attester:{name}"))
    }

    /// An event kind as a noun (“delivery”).
    pub fn kind_noun(&self, lang: Lang, kind: &str) -> String {
        self.lookup(lang, &format!("noun:{kind}"))
            .unwrap_or_else(|| match lang {
                Lang::En => format!("{kind} event"),
                Lang::Zh => format!("「{kind}」事件"),
                Lang::De => format!("Ereignis „{kind}“"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique() {
        for (i, (key, ..)) in WORDS.iter().enumerate() {
            assert!(
                WORDS[i + 1..].iter().all(|(other, ..)| other != key),
                "duplicate glossary key {key}"
            );
        }
    }

    #[test]
    fn unknown_words_fall_back_to_the_clause_spelling() {
        let words = Glossary::STANDARD;
        assert_eq!(
            words.word(Lang::En, "field", "pallet_count"),
            "pallet count"
        );
        assert_eq!(
            words.word(Lang::Zh, "field", "pallet_count"),
            "「pallet_count」"
        );
        assert_eq!(
            words.term(Lang::De, "incoterm"),
            "Vertragsbedingung „incoterm“"
        );
        assert_eq!(words.word(Lang::De, "variant", "air"), "Luftfracht");
    }

    #[test]
    fn labels_come_before_the_table_and_german_articles_are_kept_apart() {
        let mut labels = WordLabels::default();
        let mut add = |key: &str, lang: &str, text: &str| {
            labels
                .0
                .entry(key.to_string())
                .or_default()
                .insert(lang.to_string(), text.to_string());
        };
        add("term:incoterm", "de", "die Lieferklausel");
        add("party:seller", "de", "die Lieferantin");
        add("noun:customs.cleared", "zh", "清关");
        let words = Glossary::new(&labels);
        assert_eq!(words.term(Lang::De, "incoterm"), "Lieferklausel");
        assert_eq!(words.term_de("incoterm"), "die Lieferklausel");
        assert_eq!(words.party_de("seller"), "die Lieferantin");
        assert_eq!(words.word(Lang::De, "party", "seller"), "Lieferantin");
        assert_eq!(words.party_de("buyer"), "der Käufer");
        assert_eq!(words.kind_noun(Lang::Zh, "customs.cleared"), "清关");
        assert_eq!(
            words.occurrence(Lang::Zh, "customs.cleared"),
            "记录新的清关"
        );
        assert_eq!(words.term(Lang::En, "incoterm"), "the term incoterm");
    }
}
