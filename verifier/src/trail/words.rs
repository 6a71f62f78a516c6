//! Every fixed word of the trail page, in English, Chinese and German: the page's chrome, the
//! names of the verification steps and why a step failed. The page's script holds no text of its
//! own, so a language switch cannot leave a word behind.

use serde::Serialize;

use super::Lang;
use crate::bundle::{
    BreakerError, ConsistencyError, DecodeError, EntryError, GenesisError, LogError, ReplayError,
    SourcesError, VerifyError,
};
use crate::state::ContractError;

/// The page's fixed words. Serialized as they are for the page's script. A German word that
/// starts a line on the page (a table's first column, a paragraph, the signers of an entry)
/// starts with a capital.
#[derive(Debug, Serialize)]
pub struct Labels {
    pub title: &'static str,
    pub valid: &'static str,
    pub invalid: &'static str,
    /// The headline of a verified bundle a party's signed head shows is not the latest (as
    /// `pactum-verify --head`'s STALE).
    pub stale: &'static str,
    pub verifying: &'static str,
    pub steps: &'static str,
    pub not_checked: &'static str,
    pub failed_at: &'static str,
    pub entry: &'static str,
    pub reason: &'static str,
    pub order: &'static str,
    /// Before the order's reference in the headline.
    pub order_ref: &'static str,
    /// The summary of the folded codes and signed evidence of a failure.
    pub technical: &'static str,
    /// The heading in the verdict's place when nothing could be verified (the page's own trust
    /// file is unusable, or the browser stopped the page).
    pub not_verified: &'static str,
    /// The heading of the notice about a file dropped onto the page and not used.
    pub file_not_used: &'static str,
    /// The summary of other folded technical details (a trust file's or a browser's error).
    pub details: &'static str,
    /// What stopped the page before any verdict (the browser lacks what it needs, the page
    /// is damaged), and what to do; the error itself is folded under [`Labels::details`].
    pub page_failed: &'static str,
    /// A file opened on the page could not be read or verified (the verdict shown stays).
    pub file_failed: &'static str,
    /// What the page says when it cannot remember what it verified (step 8's memory).
    pub memory_off: &'static str,
    pub memory_full: &'static str,
    pub memory_unreadable: &'static str,
    pub order_id: &'static str,
    pub parties: &'static str,
    pub role: &'static str,
    pub key: &'static str,
    pub sequencer: &'static str,
    pub jurisdiction: &'static str,
    pub clauses: &'static str,
    pub inactive: &'static str,
    pub initial_terms: &'static str,
    pub breaker: &'static str,
    pub attesters: &'static str,
    pub may_attest: &'static str,
    pub timeline: &'static str,
    pub picture: &'static str,
    /// The picture's legend, a part per kind of mark, each said only when the picture has
    /// such marks (`trail::Chart::legend`), joined by `legend_join`.
    pub legend_windows: &'static str,
    pub legend_reviews: &'static str,
    pub legend_join: &'static str,
    pub breaker_window: &'static str,
    pub review: &'static str,
    pub obligations_total: &'static str,
    pub basis: &'static str,
    pub log_key: &'static str,
    pub witnesses: &'static str,
    pub witnesses_required: &'static str,
    pub pinned_parties: &'static str,
    pub none_pinned: &'static str,
    pub trust_source: &'static str,
    /// Before the name of a trust file dropped onto the page, once it is the one verified with.
    pub trust_dropped: &'static str,
    pub signed_by: &'static str,
    pub attested_by: &'static str,
    pub final_terms: &'static str,
    pub obligations: &'static str,
    pub other_bundle: &'static str,
    pub choose_file: &'static str,
    pub print: &'static str,
    pub language: &'static str,
    pub checked_in_browser: &'static str,
    /// Heading of the parties' heads the page fetched.
    pub latest: &'static str,
    /// Before a party's node answers.
    pub asking: &'static str,
    /// A party's node that did not answer (followed by its address).
    pub unreachable: &'static str,
    /// When the page has no party's head address to ask.
    pub no_heads: &'static str,
    /// Before the bundle's entry hash, and the contradicting head's, of a fork.
    pub this_entry: &'static str,
    pub head_entry: &'static str,
    pub entries: &'static str,
    pub signatures: &'static str,
    /// Between a name and what follows it, and between the items of a list: the page's script
    /// joins words with these, so Chinese reads "签署方：买方、承运人".
    pub colon: &'static str,
    pub comma: &'static str,
    /// Between a word and a number, code or name the script sets beside it: none in Chinese
    /// ("失败步骤9", "签署方：买方5a5a…"), which sets no ASCII space beside a Chinese character.
    pub space: &'static str,
    /// Around an aside: " (" and ")", Chinese "（" and "）" with no space before.
    pub open: &'static str,
    pub close: &'static str,
    /// Between two parts of one line ("6 entries · checked…", Chinese "6条记录，由…"), and
    /// before what names a source or the order ("— PO-1", Chinese "——PO-1").
    pub separator: &'static str,
    pub dash: &'static str,
}

const EN: Labels = Labels {
    title: "Evolution trail",
    valid: "VALID",
    invalid: "INVALID",
    stale: "STALE",
    verifying: "Verifying…",
    steps: "Verification steps",
    not_checked: "not reached",
    failed_at: "Failed at step",
    entry: "entry",
    reason: "Reason",
    order: "The order",
    order_ref: "order",
    technical: "Technical details (codes and signed checkpoints)",
    not_verified: "Not verified",
    file_not_used: "File not used",
    details: "Technical details",
    page_failed: "This page could not verify the bundle: the browser stopped it. Open the page in a current browser (Chrome, Edge, Firefox or Safari), or ask whoever sent it for a new copy.",
    file_failed: "This file could not be opened or verified: try it again, or ask whoever sent it for a new copy. What the page shows below is unchanged.",
    memory_off: "This browser does not let the page store anything (a private window, or storage blocked for this page): it verified without its memory of earlier verifications, so it cannot tell a rolled-back history from the latest one.",
    memory_full: "This browser's storage for the page is full: this verification could not be remembered, so a later rolled-back history would not be caught in this browser.",
    memory_unreadable: "What this browser remembered from earlier verifications was unreadable (damaged) and was set aside: this verification started afresh, and is remembered from now on.",
    order_id: "order id",
    parties: "Parties",
    role: "role",
    key: "key fingerprint",
    sequencer: "sequenced by",
    jurisdiction: "jurisdiction",
    clauses: "Clauses",
    inactive: "inactive at the start",
    initial_terms: "Initial terms",
    breaker: "Evolution circuit breaker",
    attesters: "Attesters",
    may_attest: "may attest",
    timeline: "Timeline",
    picture: "Terms over time",
    legend_windows: "shaded: breaker windows",
    legend_reviews: "dashed lines: reviews",
    legend_join: "; ",
    breaker_window: "breaker window",
    review: "review",
    obligations_total: "obligations owed",
    basis: "What the verdict rests on",
    log_key: "log key",
    witnesses: "witnesses",
    witnesses_required: "required cosignatures",
    pinned_parties: "pinned party keys",
    none_pinned: "none (the contract's own keys are taken as they are)",
    trust_source: "The trust file embedded in this page",
    trust_dropped: "The trust file dropped onto this page",
    signed_by: "signed by",
    attested_by: "attested by",
    final_terms: "Terms now",
    obligations: "Obligations",
    other_bundle: "Verify another bundle: drop a bundle file here, or",
    choose_file: "choose a file",
    print: "Print",
    language: "Language",
    checked_in_browser: "checked in this browser by the same Rust code as pactum-verify",
    latest: "Is this the latest?",
    asking: "asking the parties' nodes…",
    unreachable: "could not reach",
    no_heads: "No party's node was asked (this page has no head address): it shows the order as of its last entry and cannot tell whether newer entries exist.",
    this_entry: "This bundle's entry:",
    head_entry: "The entry the head names:",
    entries: "entries",
    signatures: "signatures verified",
    colon: ": ",
    comma: ", ",
    space: " ",
    open: " (",
    close: ")",
    separator: " · ",
    dash: " — ",
};

const ZH: Labels = Labels {
    title: "订单演化记录",
    valid: "有效",
    invalid: "无效",
    stale: "过期",
    verifying: "验证中…",
    steps: "验证步骤",
    not_checked: "未执行",
    failed_at: "失败步骤",
    entry: "记录",
    reason: "原因",
    order: "订单",
    order_ref: "订单",
    technical: "技术细节（代码与签名检查点）",
    not_verified: "未验证",
    file_not_used: "未使用的文件",
    details: "技术细节",
    page_failed: "本页面未能完成验证：浏览器中止了它。请用最新版本的浏览器打开本页面，或向发送方索取新的副本。",
    file_failed: "无法打开或验证该文件：请重试，或向发送方索取新的副本。下方页面所显示的内容未改变。",
    memory_off: "本浏览器不允许页面存储任何内容（隐私窗口，或已阻止本页面的存储）：本次验证未使用之前验证的记忆，因此无法区分被回滚的历史与最新历史。",
    memory_full: "本浏览器为页面提供的存储空间已满：本次验证无法被记住，因此之后若历史被回滚，本浏览器将无法发现。",
    memory_unreadable: "本浏览器之前验证所记住的内容无法读取（已损坏），已被搁置：本次验证重新开始，并从现在起被记住。",
    order_id: "订单标识",
    parties: "当事方",
    role: "角色",
    key: "密钥指纹",
    sequencer: "排序方",
    jurisdiction: "管辖法域",
    clauses: "条款",
    inactive: "初始未启用",
    initial_terms: "初始条件",
    breaker: "演化熔断",
    attesters: "证明方",
    may_attest: "可证明",
    timeline: "变更时间线",
    picture: "条件随时间的变化",
    legend_windows: "阴影：熔断窗口",
    legend_reviews: "虚线：审核",
    legend_join: "；",
    breaker_window: "熔断窗口",
    review: "审核",
    obligations_total: "应付款项累计",
    basis: "结论的依据",
    log_key: "日志密钥",
    witnesses: "见证方",
    witnesses_required: "所需联署数",
    pinned_parties: "固定的当事方密钥",
    none_pinned: "无（按合同中的密钥）",
    trust_source: "本页面内嵌的信任文件",
    trust_dropped: "拖放到本页面的信任文件",
    signed_by: "签署方",
    attested_by: "证明方",
    final_terms: "当前条件",
    obligations: "付款义务",
    other_bundle: "验证其他记录包：将文件拖放到此处，或",
    choose_file: "选择文件",
    print: "打印",
    language: "语言",
    checked_in_browser: "由本浏览器使用与命令行验证程序相同的代码验证",
    latest: "这是最新的吗？",
    asking: "正在询问各方节点……",
    unreachable: "无法连接",
    no_heads: "未询问任何一方的节点（本页面没有最新记录查询地址）：它显示的是截至最后一条记录的订单，无法判断是否有更新的记录。",
    this_entry: "本文件中的记录：",
    head_entry: "最新记录声明所指的记录：",
    entries: "条记录",
    signatures: "个签名已验证",
    colon: "：",
    comma: "、",
    space: "",
    open: "（",
    close: "）",
    separator: "，",
    dash: "——",
};

const DE: Labels = Labels {
    title: "Änderungsverlauf",
    valid: "GÜLTIG",
    invalid: "UNGÜLTIG",
    stale: "VERALTET",
    verifying: "Wird geprüft…",
    steps: "Prüfschritte",
    not_checked: "nicht erreicht",
    failed_at: "Gescheitert in Schritt",
    entry: "Eintrag",
    reason: "Grund",
    order: "Der Auftrag",
    order_ref: "Auftrag",
    technical: "Technische Details (Codes und signierte Prüfpunkte)",
    not_verified: "Nicht geprüft",
    file_not_used: "Datei nicht verwendet",
    details: "Technische Details",
    page_failed: "Diese Seite konnte das Bündel nicht prüfen: der Browser hat sie angehalten. Öffnen Sie die Seite in einem aktuellen Browser (Chrome, Edge, Firefox oder Safari) oder bitten Sie den Absender um eine neue Kopie.",
    file_failed: "Diese Datei konnte nicht geöffnet oder geprüft werden: versuchen Sie es erneut oder bitten Sie den Absender um eine neue Kopie. Was die Seite unten zeigt, ist unverändert.",
    memory_off: "Dieser Browser lässt die Seite nichts speichern (privates Fenster oder Speicher für diese Seite gesperrt): sie hat ohne ihr Gedächtnis früherer Prüfungen geprüft und kann einen zurückgesetzten Verlauf nicht vom neuesten unterscheiden.",
    memory_full: "Der Speicher dieses Browsers für die Seite ist voll: diese Prüfung konnte nicht gemerkt werden, ein später zurückgesetzter Verlauf fiele in diesem Browser also nicht auf.",
    memory_unreadable: "Was sich dieser Browser aus früheren Prüfungen gemerkt hatte, war unlesbar (beschädigt) und wurde beiseitegelegt: diese Prüfung hat neu begonnen und wird ab jetzt gemerkt.",
    order_id: "Auftragskennung",
    parties: "Parteien",
    role: "Rolle",
    key: "Schlüssel-Fingerabdruck",
    sequencer: "Sequenziert von",
    jurisdiction: "Rechtsordnung",
    clauses: "Klauseln",
    inactive: "zu Beginn inaktiv",
    initial_terms: "Anfangsbedingungen",
    breaker: "Evolutions-Sicherung",
    attesters: "Bezeugende",
    may_attest: "Darf bezeugen",
    timeline: "Verlauf",
    picture: "Bedingungen im Zeitverlauf",
    legend_windows: "schattiert: Sicherungsfenster",
    legend_reviews: "gestrichelt: Prüfungen",
    legend_join: "; ",
    breaker_window: "Sicherungsfenster",
    review: "Prüfung",
    obligations_total: "Geschuldete Beträge",
    basis: "Worauf das Ergebnis beruht",
    log_key: "Log-Schlüssel",
    witnesses: "Zeugen",
    witnesses_required: "Erforderliche Mitsignaturen",
    pinned_parties: "Festgelegte Parteischlüssel",
    none_pinned: "Keine (die Schlüssel des Vertrags gelten)",
    trust_source: "Die in diese Seite eingebettete Vertrauensdatei",
    trust_dropped: "Die auf diese Seite gezogene Vertrauensdatei",
    signed_by: "Signiert von",
    attested_by: "bezeugt von",
    final_terms: "Aktuelle Bedingungen",
    obligations: "Zahlungspflichten",
    other_bundle: "Weiteres Bündel prüfen: Datei hierher ziehen oder",
    choose_file: "Datei wählen",
    print: "Drucken",
    language: "Sprache",
    checked_in_browser:
        "in diesem Browser mit demselben Code wie das Prüfprogramm der Kommandozeile geprüft",
    latest: "Ist das der neueste Stand?",
    asking: "Die Knoten der Parteien werden gefragt …",
    unreachable: "nicht erreichbar:",
    no_heads: "Kein Knoten einer Partei wurde gefragt (diese Seite hat keine Abfrageadresse für den neuesten Stand): sie zeigt den Auftrag mit Stand seines letzten Eintrags und kann nicht sagen, ob es neuere Einträge gibt.",
    this_entry: "Eintrag in diesem Bündel:",
    head_entry: "Eintrag, den die Standmeldung nennt:",
    entries: "Einträge",
    signatures: "Signaturen geprüft",
    colon: ": ",
    comma: ", ",
    space: " ",
    open: " (",
    close: ")",
    separator: " · ",
    dash: " — ",
};

pub fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
        Lang::De => &DE,
    }
}

/// The name of verification step `step` (1 to 9) in `lang`.
pub fn step_name(lang: Lang, step: u8) -> &'static str {
    const NAMES: [[&str; 3]; 9] = [
        ["decode", "解码", "Dekodieren"],
        ["clause sources", "条款源文本", "Klauselquellen"],
        [
            "genesis signatures",
            "订单成立签名",
            "Signaturen der Eröffnung",
        ],
        [
            "entries: chain, sequence, attesters and signatures",
            "记录：哈希链、顺序、证明方与签名",
            "Einträge: Kette, Reihenfolge, Bezeugende und Signaturen",
        ],
        ["replay", "重放", "Nachvollzug"],
        ["circuit breaker", "演化熔断", "Evolutions-Sicherung"],
        [
            "log inclusion and checkpoint",
            "日志收录与检查点",
            "Aufnahme ins Log und Prüfpunkt",
        ],
        ["log consistency", "日志一致性", "Log-Konsistenz"],
        [
            "presented heads",
            "所提交的最新记录声明",
            "vorgelegte Standmeldungen",
        ],
    ];
    let names = NAMES[usize::from(step.clamp(1, 9) - 1)];
    match lang {
        Lang::En => names[0],
        Lang::Zh => names[1],
        Lang::De => names[2],
    }
}

/// Why verification failed, in `lang`: a sentence per kind of failure, with the roles and
/// numbers that identify it ("entry 6: …"). Role names come already translated (`role`).
pub fn reason(lang: Lang, error: &VerifyError, role: &dyn Fn(&str) -> String) -> String {
    reason_in(lang, error, role, Numbered::Yes)
}

/// [`reason`] without the failing entry's number, for a page that names the entry beside it
/// ("Failed at step 7 · entry #6"): the number is not said twice.
pub fn reason_beside_entry(
    lang: Lang,
    error: &VerifyError,
    role: &dyn Fn(&str) -> String,
) -> String {
    reason_in(lang, error, role, Numbered::No)
}

/// Whether a reason names the entry it is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbered {
    Yes,
    No,
}

fn reason_in(
    lang: Lang,
    error: &VerifyError,
    role: &dyn Fn(&str) -> String,
    numbered: Numbered,
) -> String {
    let pick = |en: String, zh: String, de: String| match lang {
        Lang::En => en,
        Lang::Zh => zh,
        Lang::De => de,
    };
    let same = |en: &str, zh: &str, de: &str| pick(en.into(), zh.into(), de.into());
    match error {
        VerifyError::Decode(DecodeError::NoEntries) => same(
            "the bundle has no entries",
            "记录包中没有任何记录",
            "das Bündel enthält keine Einträge",
        ),
        VerifyError::Decode(DecodeError::Entry { .. }) if numbered == Numbered::No => same(
            "the entry is not well-formed",
            "该记录格式不正确",
            "der Eintrag ist nicht wohlgeformt",
        ),
        VerifyError::Decode(DecodeError::Entry { index, .. }) => pick(
            format!("entry {index} is not well-formed"),
            format!("第{index}条记录格式不正确"),
            format!("Eintrag {index} ist nicht wohlgeformt"),
        ),
        VerifyError::Decode(DecodeError::Checkpoint(_)) => same(
            "the checkpoint is not well-formed",
            "检查点格式不正确",
            "der Prüfpunkt ist nicht wohlgeformt",
        ),
        VerifyError::Decode(_) | VerifyError::Contract(ContractError::Decode(_)) => same(
            "the file is not a well-formed bundle (damaged, cut short or not a bundle)",
            "该文件不是格式正确的记录包（已损坏、被截断或并非记录包）",
            "die Datei ist kein wohlgeformtes Bündel (beschädigt, gekürzt oder kein Bündel)",
        ),
        VerifyError::Contract(ContractError::Hash { .. }) => same(
            "the clause texts are not the ones the contract names",
            "条款文本与合同所指定的不一致",
            "die Klauseltexte sind nicht die im Vertrag genannten",
        ),
        VerifyError::Sources(SourcesError::IrMismatch(name)) => pick(
            format!("the compiled form of clause {name} differs from its text"),
            format!("条款「{name}」的编译结果与其文本不符"),
            format!("die übersetzte Form der Klausel {name} weicht von ihrem Text ab"),
        ),
        VerifyError::Sources(_)
        | VerifyError::Contract(
            ContractError::Compile(_) | ContractError::Setup(_),
        ) => same(
            "the clause texts do not compile to what the contract names",
            "条款文本无法编译为合同所指定的内容",
            "die Klauseltexte ergeben nicht die im Vertrag genannten Klauseln",
        ),
        VerifyError::Genesis(GenesisError::KeyNotPinned { role: r, .. }) => pick(
            format!("{} signs with a key other than the trusted one", role(r)),
            format!("{}使用的密钥并非受信任的密钥", role(r)),
            format!(
                "{} signiert mit einem anderen als dem vertrauten Schlüssel",
                role(r)
            ),
        ),
        VerifyError::Genesis(GenesisError::MissingParty(r)) => pick(
            format!("the trust file expects {}, who is not a party", role(r)),
            format!("信任文件要求{}，但其并非合同当事方", role(r)),
            format!(
                "die Vertrauensdatei erwartet {}, die keine Partei ist",
                role(r)
            ),
        ),
        VerifyError::Genesis(GenesisError::UnpinnedParty(r)) => pick(
            format!("{} is not pinned by the trust file", role(r)),
            format!("信任文件未固定{}的密钥", role(r)),
            format!("{} ist in der Vertrauensdatei nicht festgelegt", role(r)),
        ),
        VerifyError::Contract(ContractError::Signature(_)) => same(
            "the parties' signatures on the contract do not verify",
            "当事方对合同的签名无法验证",
            "die Signaturen der Parteien auf dem Vertrag sind ungültig",
        ),
        VerifyError::Entry { index, error } => entry_reason(lang, *index, error, role, numbered),
        VerifyError::Replay { index, error } => {
            let what = match error {
                ReplayError::StateHash { .. } => same(
                    "the recorded state differs from the replayed one",
                    "所记录的状态与重放结果不同",
                    "der aufgezeichnete Zustand weicht vom nachvollzogenen ab",
                ),
                ReplayError::Rejected(_) => same(
                    "the order's rules do not allow this step",
                    "订单规则不允许这一步",
                    "die Regeln des Auftrags lassen diesen Schritt nicht zu",
                ),
                _ => same(
                    "the recorded outcome is not what the clauses give on these facts",
                    "所记录的结果与条款对这些事实的计算结果不同",
                    "das aufgezeichnete Ergebnis ist nicht das, was die Klauseln aus diesen Tatsachen ergeben",
                ),
            };
            at_entry(lang, *index, &what, numbered)
        }
        VerifyError::Breaker { index, error } => {
            let what = match error {
                BreakerError::Bypassed { max, .. } => {
                    // "more than 1 automatic amendment", never "1 … amendments".
                    let max = usize::try_from(*max).unwrap_or(usize::MAX);
                    let count = |lang| {
                        contract_lang::render::count(
                            lang,
                            max,
                            ["automatic amendment", "automatic amendments"],
                            "次",
                            ["automatische Änderung", "automatische Änderungen"],
                        )
                    };
                    pick(
                        format!("more than {} in the window were applied: the breaker should have tripped", count(Lang::En)),
                        format!("窗口内执行的自动变更超过{}：本应触发熔断", count(Lang::Zh)),
                        format!("mehr als {} im Fenster wurden angewendet: die Sicherung hätte auslösen müssen", count(Lang::De)),
                    )
                }
                BreakerError::Backdated { .. } => same(
                    "a backdated fact applied an amendment the breaker should have held",
                    "一个倒填日期的事实执行了本应被熔断暂缓的变更",
                    "eine rückdatierte Tatsache hat eine Änderung angewendet, die die Sicherung hätte zurückhalten müssen",
                ),
                BreakerError::WhilePaused => same(
                    "an amendment was applied while the order waited for review",
                    "订单等待审核期间执行了变更",
                    "eine Änderung wurde angewendet, während der Auftrag auf Prüfung wartete",
                ),
            };
            at_entry(lang, *index, &what, numbered)
        }
        VerifyError::Log(LogError::Inclusion { index, .. }) => at_entry(
            lang,
            *index,
            &same(
                "the entry is not included in the trusted log",
                "该记录未收录于受信任的日志",
                "der Eintrag ist nicht im vertrauten Log enthalten",
            ),
            numbered,
        ),
        VerifyError::Log(LogError::Origin { .. }) => same(
            "the checkpoint is from another log than the trusted one",
            "检查点来自受信任日志以外的日志",
            "der Prüfpunkt stammt aus einem anderen als dem vertrauten Log",
        ),
        VerifyError::Log(LogError::Witnesses {
            verified, required, ..
        }) => pick(
            format!("{verified} of the {required} required witnesses cosigned the checkpoint"),
            format!("检查点仅有{verified}个见证方联署，需要{required}个"),
            format!(
                "{verified} von {required} erforderlichen Zeugen haben den Prüfpunkt mitsigniert"
            ),
        ),
        VerifyError::Log(LogError::LogSignature | LogError::BadSignature(_)) => same(
            "a signature on the checkpoint does not verify",
            "检查点上的签名无法验证",
            "eine Signatur auf dem Prüfpunkt ist ungültig",
        ),
        VerifyError::Log(_) => same(
            "the entries are not all in the trusted checkpoint",
            "并非所有记录都在受信任的检查点中",
            "nicht alle Einträge sind im vertrauten Prüfpunkt",
        ),
        VerifyError::Consistency(ConsistencyError::Rollback(_)) => same(
            "the log is smaller than when it was last seen: history was rolled back",
            "日志比上次所见更短：历史被回滚",
            "das Log ist kleiner als beim letzten Mal: der Verlauf wurde zurückgesetzt",
        ),
        VerifyError::Consistency(ConsistencyError::Fork(_)) => same(
            "the log is not an extension of the one seen before: history was rewritten",
            "日志并非上次所见日志的延续：历史被改写",
            "das Log ist keine Fortsetzung des zuvor gesehenen: der Verlauf wurde umgeschrieben",
        ),
        VerifyError::Consistency(_) => same(
            "the log cannot be shown consistent with the one seen before",
            "无法证明日志与上次所见一致",
            "die Konsistenz mit dem zuvor gesehenen Log ist nicht belegt",
        ),
        VerifyError::Head(_) => same(
            "a party's signed head contradicts this history, or is not a valid head of it",
            "某一方签署的最新记录声明与此历史相矛盾，或不是其有效最新记录声明",
            "eine signierte Standmeldung einer Partei widerspricht diesem Verlauf oder ist keine gültige Standmeldung dazu",
        ),
    }
}

fn at_entry(lang: Lang, index: u64, what: &str, numbered: Numbered) -> String {
    if numbered == Numbered::No {
        return what.to_string();
    }
    match lang {
        Lang::En => format!("entry {index}: {what}"),
        Lang::Zh => format!("第{index}条记录：{what}"),
        Lang::De => format!("Eintrag {index}: {what}"),
    }
}

fn entry_reason(
    lang: Lang,
    index: u64,
    error: &EntryError,
    role: &dyn Fn(&str) -> String,
    numbered: Numbered,
) -> String {
    let pick = |en: String, zh: String, de: String| match lang {
        Lang::En => en,
        Lang::Zh => zh,
        Lang::De => de,
    };
    let same = |en: &str, zh: &str, de: &str| pick(en.into(), zh.into(), de.into());
    let what = match error {
        EntryError::OutOfOrder { .. } | EntryError::Repeated { .. } => same(
            "the entries are out of order",
            "记录顺序错乱",
            "die Einträge sind nicht in Reihenfolge",
        ),
        EntryError::Missing { expected, .. } => pick(
            format!("entry {expected} is missing"),
            format!("缺少第{expected}条记录"),
            format!("Eintrag {expected} fehlt"),
        ),
        EntryError::Duplicate { .. } => same(
            "the entry appears twice",
            "该记录重复出现",
            "der Eintrag kommt zweimal vor",
        ),
        EntryError::Equivocation { .. } => same(
            "the sequencer signed two different entries for this position",
            "排序方为同一位置签署了两条不同的记录",
            "der Sequenzierer hat zwei verschiedene Einträge für diese Stelle signiert",
        ),
        EntryError::Chain { .. } => same(
            "the entry does not follow the previous one (hash chain broken)",
            "该记录未接续上一条记录（哈希链断裂）",
            "der Eintrag schließt nicht an den vorigen an (Hash-Kette unterbrochen)",
        ),
        EntryError::Truncated { .. } => same(
            "entries were cut off the end of the history",
            "历史末尾的记录被截去",
            "am Ende des Verlaufs wurden Einträge abgeschnitten",
        ),
        EntryError::UnknownAttester { .. } | EntryError::UnauthorisedAttester { .. } => same(
            "the fact is attested by someone not authorised to attest it",
            "该事实的证明方无权证明此类事实",
            "die Tatsache wurde von jemandem bezeugt, der dazu nicht befugt ist",
        ),
        EntryError::AttesterSignature => same(
            "the attester's signature does not verify",
            "证明方的签名无法验证",
            "die Signatur der bezeugenden Stelle ist ungültig",
        ),
        EntryError::PartySignature(r) | EntryError::ReviewSignature(r) => pick(
            format!("{}'s signature does not verify", role(r)),
            format!("{}的签名无法验证", role(r)),
            format!("die Signatur von {} ist ungültig", role(r)),
        ),
        EntryError::HeadSignature | EntryError::HeadSigner(_) => same(
            "the statement of the history's last entry is not signed by a party",
            "关于最后一条记录的声明并非由当事方签署",
            "die Angabe des letzten Eintrags ist nicht von einer Partei signiert",
        ),
        _ => same(
            "the entry does not belong here (wrong order, signers or position)",
            "该记录不属于此处（订单、签署方或位置不符）",
            "der Eintrag gehört nicht hierher (falscher Auftrag, Unterzeichner oder Position)",
        ),
    };
    at_entry(lang, index, &what, numbered)
}
