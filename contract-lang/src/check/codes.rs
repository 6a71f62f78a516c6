//! Stable codes of the checker's diagnostics (`E04xx`), and "did you mean" suggestions.
//!
//! | code  | meaning |
//! |-------|---------|
//! | E0401 | unknown name |
//! | E0402 | a value of the wrong type |
//! | E0403 | unknown term |
//! | E0404 | unknown event kind |
//! | E0405 | unknown field of an event or record |
//! | E0406 | unknown type |
//! | E0407 | ambiguous enum variant |
//! | E0408 | operator not defined for these operands |
//! | E0409 | unrounded amount used as a value |
//! | E0410 | two different currencies combined |
//! | E0411 | unknown currency |
//! | E0412 | money literal more precise than its currency, or out of range |
//! | E0413 | declared twice |
//! | E0414 | `jurisdiction` without a `_` arm |
//! | E0415 | `jurisdiction` arm repeated |
//! | E0416 | `set` of something other than `terms.NAME` |
//! | E0417 | `activate` / `deactivate` of an unknown clause |
//! | E0418 | unknown function |
//! | E0419 | wrong arguments to a function |
//! | E0420 | a param default that is not a constant |
//! | E0421 | `event`, `terms` or `facts` where they are not available, or a whole event as a value |
//! | E0422 | literal out of range |
//! | E0423 | reserved name |
//! | E0424 | `[]` whose element type nothing tells |
//! | E0425 | a party paying itself, a clause activating itself |
//! | E0426 | an event declaring `at` (every event has it implicitly) |
//! | E0427 | a param default that cannot be computed |
//! | E0428 | the same term set twice by one rule |
//! | E0429 | a predicate using a predicate declared after it |
//! | E0430 | a party that is not one of the vocabulary's roles (`enum party { … }`) |
//! | E0431 | a jurisdiction code that is not an ISO 3166-1 alpha-2 code in upper case |
//! | E0432 | an amount to pay that is negative whatever the order's data |
//! | E0433 | a `label` of something the clause does not declare or write |
//! | E0434 | an `option` in a program whose vocabulary lacks `event option.exercised { clause: text, option: text }` |
//! | E0435 | a `once` rule whose only actions are `review` (a review applies nothing, so it could never count as fired) |
//! | E0436 | an unknown unit of measure, or a dimension in `quantity<…>` that is neither a dimension nor a unit |
//! | E0437 | quantities of different dimensions combined or compared (`kg` with `pcs`) |
//! | W0401 | (warning) two rules that can set the same term on the same event |

pub const UNKNOWN_NAME: &str = "E0401";
pub const TYPE_MISMATCH: &str = "E0402";
pub const UNKNOWN_TERM: &str = "E0403";
pub const UNKNOWN_EVENT_KIND: &str = "E0404";
pub const UNKNOWN_FIELD: &str = "E0405";
pub const UNKNOWN_TYPE: &str = "E0406";
pub const AMBIGUOUS_VARIANT: &str = "E0407";
pub const BAD_OPERANDS: &str = "E0408";
pub const UNROUNDED: &str = "E0409";
pub const CURRENCY_MISMATCH: &str = "E0410";
pub const UNKNOWN_CURRENCY: &str = "E0411";
pub const MONEY_PRECISION: &str = "E0412";
pub const DUPLICATE: &str = "E0413";
pub const MISSING_DEFAULT_ARM: &str = "E0414";
pub const DUPLICATE_ARM: &str = "E0415";
pub const BAD_SET_TARGET: &str = "E0416";
pub const UNKNOWN_CLAUSE: &str = "E0417";
pub const UNKNOWN_FUNCTION: &str = "E0418";
pub const BAD_ARGUMENTS: &str = "E0419";
pub const NOT_CONSTANT: &str = "E0420";
pub const OUT_OF_SCOPE: &str = "E0421";
pub const LITERAL_RANGE: &str = "E0422";
pub const RESERVED_NAME: &str = "E0423";
pub const EMPTY_LIST_TYPE: &str = "E0424";
pub const SELF_REFERENCE: &str = "E0425";
pub const IMPLICIT_AT: &str = "E0426";
pub const DEFAULT_FAILED: &str = "E0427";
pub const DUPLICATE_SET: &str = "E0428";
pub const PREDICATE_ORDER: &str = "E0429";
pub const UNKNOWN_PARTY: &str = "E0430";
pub const UNKNOWN_JURISDICTION: &str = "E0431";
pub const NEGATIVE_AMOUNT: &str = "E0432";
pub const UNKNOWN_LABEL: &str = "E0433";
pub const NO_OPTION_EVENT: &str = "E0434";
pub const ONCE_ONLY_REVIEW: &str = "E0435";
pub const UNKNOWN_UNIT: &str = "E0436";
pub const DIMENSION_MISMATCH: &str = "E0437";
pub const OVERLAPPING_SETS: &str = "W0401";

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|candidate| *candidate != name)
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

/// "did you mean `x`?" for the closest candidate, if any.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_names() {
        assert_eq!(
            closest("delivery_deu", ["delivery_due", "price"]),
            Some("delivery_due")
        );
        assert_eq!(closest("x", ["price"]), None);
        assert_eq!(closest("price", ["price"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
