//! Jurisdiction codes: the ISO 3166-1 alpha-2 country codes (officially assigned, exact case)
//! that `jurisdiction { … }` arms, scenarios and contracts may name.

/// Every officially assigned ISO 3166-1 alpha-2 code, sorted.
const ISO_3166_1_ALPHA_2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Codes people write that ISO 3166-1 does not assign, with the one they mean.
/// (Alpha-3 codes and everyday abbreviations of the most common trading partners.)
const ALIASES: &[(&str, &str)] = &[
    ("CHE", "CH"),
    ("CHN", "CN"),
    ("DEU", "DE"),
    ("EL", "GR"),
    ("ESP", "ES"),
    ("FRA", "FR"),
    ("GBR", "GB"),
    ("GER", "DE"),
    ("HKG", "HK"),
    ("IND", "IN"),
    ("ITA", "IT"),
    ("JPN", "JP"),
    ("KOR", "KR"),
    ("NLD", "NL"),
    ("PRC", "CN"),
    ("SGP", "SG"),
    ("TWN", "TW"),
    ("UK", "GB"),
    ("USA", "US"),
];

/// Whether `code` is an officially assigned ISO 3166-1 alpha-2 code, in upper case.
pub fn is_known(code: &str) -> bool {
    ISO_3166_1_ALPHA_2.binary_search(&code).is_ok()
}

/// Why a jurisdiction code is refused, and what to write instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JurisdictionError {
    #[error("jurisdiction codes are upper case: write `{0}`")]
    Case(String),
    #[error("`{code}` is not an ISO 3166-1 alpha-2 code: did you mean `{instead}`?")]
    Alias { code: String, instead: &'static str },
    #[error("`{0}` is not an ISO 3166-1 alpha-2 country code")]
    Unknown(String),
}

/// Accepts an ISO 3166-1 alpha-2 code written exactly (`CN`, `DE`); explains any other.
pub fn validate(code: &str) -> Result<(), JurisdictionError> {
    if is_known(code) {
        return Ok(());
    }
    let upper = code.to_ascii_uppercase();
    if let Some((_, instead)) = ALIASES.iter().find(|(alias, _)| *alias == upper) {
        return Err(JurisdictionError::Alias {
            code: code.to_string(),
            instead,
        });
    }
    if is_known(&upper) {
        return Err(JurisdictionError::Case(upper));
    }
    Err(JurisdictionError::Unknown(code.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_complete() {
        assert!(ISO_3166_1_ALPHA_2.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(ISO_3166_1_ALPHA_2.len(), 249);
    }

    #[test]
    fn exact_codes_pass_others_are_explained() {
        assert_eq!(validate("CN"), Ok(()));
        assert_eq!(validate("cn"), Err(JurisdictionError::Case("CN".into())));
        assert!(matches!(
            validate("UK"),
            Err(JurisdictionError::Alias { instead: "GB", .. })
        ));
        assert_eq!(validate("XX"), Err(JurisdictionError::Unknown("XX".into())));
    }
}
