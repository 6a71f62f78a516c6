//! Tree computations over a [`HashStore`]: what an append stores, roots, and proof generation.
//!
//! Every function reads all the stored hashes it needs in a single [`HashStore::read_hashes`]
//! call, so a disk-backed store pays one batched read per operation. Proof shapes follow
//! RFC 9162 §2.1.3.1 (inclusion) and §2.1.4.1 (consistency) exactly; each proof element is the
//! root of a range of leaves whose start is aligned to a power of two at least as large as the
//! range, so it is the right fold of at most 63 complete subtrees that the store holds.

use super::store::{stored_hash_count, stored_hash_index, HashStore};
use super::{node_hash, Hash, MerkleError, EMPTY_ROOT, MAX_TREE_SIZE};

/// The hashes to store when appending leaf number `index` (0-based; the log holds `index`
/// leaves before the append) whose leaf hash is `leaf_hash`: the leaf hash followed by the roots
/// of the subtrees it completes. They belong at [`stored_hash_count`]`(index)`.
pub fn stored_hashes_for_append<S: HashStore + ?Sized>(
    index: u64,
    leaf_hash: Hash,
    store: &S,
) -> Result<Vec<Hash>, MerkleError> {
    stored_hashes_for_appends(index, &[leaf_hash], store)
}

/// The hashes to store when appending `leaf_hashes` to a log of `size` leaves, in one batch:
/// write them all at [`stored_hash_count`]`(size)` with a single
/// [`HashStore::write_hashes`] call.
///
/// One store read fetches the older hashes the batch needs: left siblings completed before the
/// batch, each a maximal complete subtree of the current tree (at most 62, and on average one
/// for a single append). Everything else comes from the batch itself.
pub fn stored_hashes_for_appends<S: HashStore + ?Sized>(
    size: u64,
    leaf_hashes: &[Hash],
    store: &S,
) -> Result<Vec<Hash>, MerkleError> {
    let added = u64::try_from(leaf_hashes.len()).map_err(|_| MerkleError::SizeTooLarge(size))?;
    let new_size = size
        .checked_add(added)
        .filter(|&n| n <= MAX_TREE_SIZE)
        .ok_or(MerkleError::SizeTooLarge(size))?;
    let batch_start = stored_hash_count(size)?;

    // First pass, arithmetic only: which older hashes will be needed.
    let mut older: Vec<u64> = Vec::new();
    for n in size..new_size {
        for level in 0..n.trailing_ones() {
            let sibling = left_sibling(n, level)?;
            if sibling < batch_start && !older.contains(&sibling) {
                older.push(sibling);
            }
        }
    }
    let older_hashes = store.read_hashes(&older)?;

    let mut pending: Vec<Hash> = Vec::with_capacity(leaf_hashes.len().saturating_mul(2) + 62);
    for (leaf, n) in leaf_hashes.iter().zip(size..new_size) {
        let mut hash = *leaf;
        pending.push(hash);
        for level in 0..n.trailing_ones() {
            let sibling = left_sibling(n, level)?;
            let left = match sibling.checked_sub(batch_start) {
                Some(offset) => usize::try_from(offset)
                    .ok()
                    .and_then(|offset| pending.get(offset)),
                None => older
                    .iter()
                    .position(|&index| index == sibling)
                    .and_then(|position| older_hashes.get(position)),
            }
            .ok_or(super::StoreError::Missing(sibling))?;
            hash = node_hash(left, &hash);
            pending.push(hash);
        }
    }
    Ok(pending)
}

/// Stored index of the complete left sibling that appending leaf `n` combines with at `level`
/// (for `level < trailing_ones(n)`, the node holding leaf `n` at that level is odd).
fn left_sibling(n: u64, level: u32) -> Result<u64, MerkleError> {
    stored_hash_index(level, (n >> level) - 1)
}

/// Root of the tree made of the first `size` leaves of the log in `store`.
pub fn root<S: HashStore + ?Sized>(size: u64, store: &S) -> Result<Hash, MerkleError> {
    if size > MAX_TREE_SIZE {
        return Err(MerkleError::SizeTooLarge(size));
    }
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    let mut hashes = range_hashes(&[(0, size)], store)?;
    hashes.pop().ok_or(MerkleError::SizeTooLarge(size))
}

/// Inclusion proof (RFC 9162 §2.1.3.1 audit path) of leaf `index` in the tree of the first
/// `size` leaves, deepest sibling first.
pub fn inclusion_proof<S: HashStore + ?Sized>(
    index: u64,
    size: u64,
    store: &S,
) -> Result<Vec<Hash>, MerkleError> {
    if size > MAX_TREE_SIZE {
        return Err(MerkleError::SizeTooLarge(size));
    }
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    range_hashes(&inclusion_ranges(index, size), store)
}

/// Consistency proof (RFC 9162 §2.1.4.1) that the tree of the first `old` leaves is a prefix of
/// the tree of the first `new` leaves. Empty when the sizes are equal.
pub fn consistency_proof<S: HashStore + ?Sized>(
    old: u64,
    new: u64,
    store: &S,
) -> Result<Vec<Hash>, MerkleError> {
    if new > MAX_TREE_SIZE {
        return Err(MerkleError::SizeTooLarge(new));
    }
    if old == 0 || old > new {
        return Err(MerkleError::BadSizes { old, new });
    }
    range_hashes(&consistency_ranges(old, new), store)
}

/// Leaf ranges whose roots form the inclusion proof of `index` in a tree of `size` leaves,
/// in proof order (deepest first). Requires `index < size`.
fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let (mut lo, mut hi) = (0, size);
    let mut top_down = Vec::new();
    while hi - lo > 1 {
        let split = lo + largest_power_of_two_below(hi - lo);
        if index < split {
            top_down.push((split, hi));
            hi = split;
        } else {
            top_down.push((lo, split));
            lo = split;
        }
    }
    top_down.reverse();
    top_down
}

/// Leaf ranges whose roots form the consistency proof from `old` to `new` leaves, in proof
/// order: RFC 9162's SUBPROOF recursion unrolled. Requires `0 < old <= new`.
fn consistency_ranges(old: u64, new: u64) -> Vec<(u64, u64)> {
    let (mut lo, mut hi) = (0, new);
    // `whole_old_tree` is SUBPROOF's flag b: true while the range is a prefix whose root the
    // verifier already knows (the old root), so it need not be sent.
    let mut whole_old_tree = true;
    let mut top_down = Vec::new();
    loop {
        if old == hi {
            if !whole_old_tree {
                top_down.push((lo, hi));
            }
            break;
        }
        let split = lo + largest_power_of_two_below(hi - lo);
        if old <= split {
            top_down.push((split, hi));
            hi = split;
        } else {
            top_down.push((lo, split));
            lo = split;
            whole_old_tree = false;
        }
    }
    top_down.reverse();
    top_down
}

/// Largest power of two strictly below `n` (n >= 2).
fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The complete subtrees covering `[lo, hi)` from left to right, as stored-hash indexes. `lo`
/// must be aligned to a power of two at least `hi - lo` (true for every range used here), so
/// that the greedy split matches RFC 9162's.
fn subtree_indexes(lo: u64, hi: u64) -> Result<Vec<u64>, MerkleError> {
    let mut indexes = Vec::new();
    let mut start = lo;
    while start < hi {
        let alignment = if start == 0 {
            63
        } else {
            start.trailing_zeros()
        };
        let fits = 63 - (hi - start).leading_zeros();
        let level = alignment.min(fits);
        indexes.push(stored_hash_index(level, start >> level)?);
        start += 1 << level;
    }
    Ok(indexes)
}

/// Root hash of each range, reading every needed stored hash in one call.
fn range_hashes<S: HashStore + ?Sized>(
    ranges: &[(u64, u64)],
    store: &S,
) -> Result<Vec<Hash>, MerkleError> {
    let mut counts = Vec::with_capacity(ranges.len());
    let mut indexes = Vec::new();
    for &(lo, hi) in ranges {
        let subtrees = subtree_indexes(lo, hi)?;
        counts.push(subtrees.len());
        indexes.extend(subtrees);
    }
    let stored = store.read_hashes(&indexes)?;
    if stored.len() != indexes.len() {
        return Err(super::StoreError::Backend(format!(
            "asked for {} hashes, got {}",
            indexes.len(),
            stored.len()
        ))
        .into());
    }
    let mut rest = stored.as_slice();
    let mut roots = Vec::with_capacity(ranges.len());
    for count in counts {
        let (subtrees, tail) = rest.split_at(count);
        rest = tail;
        // The range's root folds its complete subtrees from the right.
        let mut iter = subtrees.iter().rev();
        let Some(last) = iter.next() else {
            return Err(MerkleError::SizeTooLarge(0));
        };
        roots.push(iter.fold(*last, |right, left| node_hash(left, &right)));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::super::{leaf_hash, MemoryStore};
    use super::*;

    /// RFC 9162 §2.1.1 MTH, straight from the definition.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = largest_power_of_two_below(n as u64) as usize;
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    /// RFC 9162 §2.1.3.1 PATH, straight from the definition.
    fn reference_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = largest_power_of_two_below(n as u64) as usize;
        if m < k {
            let mut path = reference_path(m, &leaves[..k]);
            path.push(reference_root(&leaves[k..]));
            path
        } else {
            let mut path = reference_path(m - k, &leaves[k..]);
            path.push(reference_root(&leaves[..k]));
            path
        }
    }

    /// RFC 9162 §2.1.4.1 SUBPROOF, straight from the definition.
    fn reference_subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if whole {
                Vec::new()
            } else {
                vec![reference_root(leaves)]
            };
        }
        let k = largest_power_of_two_below(n as u64) as usize;
        if m <= k {
            let mut proof = reference_subproof(m, &leaves[..k], whole);
            proof.push(reference_root(&leaves[k..]));
            proof
        } else {
            let mut proof = reference_subproof(m - k, &leaves[k..], false);
            proof.push(reference_root(&leaves[..k]));
            proof
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    fn store_of(leaves: &[Hash]) -> MemoryStore {
        let mut store = MemoryStore::new();
        for (n, leaf) in leaves.iter().enumerate() {
            let n = n as u64;
            let hashes = stored_hashes_for_append(n, *leaf, &store).unwrap();
            store
                .write_hashes(stored_hash_count(n).unwrap(), &hashes)
                .unwrap();
        }
        store
    }

    #[test]
    fn roots_match_the_definition_at_every_size() {
        let all = leaves(130);
        let store = store_of(&all);
        for size in 0..=all.len() {
            assert_eq!(
                root(size as u64, &store).unwrap(),
                reference_root(&all[..size]),
                "size {size}"
            );
        }
    }

    #[test]
    fn proofs_match_the_definition() {
        let all = leaves(70);
        let store = store_of(&all);
        for size in 1..=all.len() {
            for index in 0..size {
                assert_eq!(
                    inclusion_proof(index as u64, size as u64, &store).unwrap(),
                    reference_path(index, &all[..size]),
                    "inclusion of {index} in {size}"
                );
            }
            for old in 1..=size {
                assert_eq!(
                    consistency_proof(old as u64, size as u64, &store).unwrap(),
                    reference_subproof(old, &all[..size], true),
                    "consistency {old} -> {size}"
                );
            }
        }
    }

    #[test]
    fn batched_appends_store_the_same_hashes() {
        let all = leaves(100);
        let one_by_one = store_of(&all);
        for split in [0usize, 1, 2, 3, 7, 8, 31, 64, 99, 100] {
            let mut batched = store_of(&all[..split]);
            let start = stored_hash_count(split as u64).unwrap();
            let hashes = stored_hashes_for_appends(split as u64, &all[split..], &batched).unwrap();
            batched.write_hashes(start, &hashes).unwrap();
            assert_eq!(batched, one_by_one, "batch after {split}");
        }
    }

    #[test]
    fn bad_arguments_are_errors() {
        let store = store_of(&leaves(5));
        assert_eq!(
            inclusion_proof(5, 5, &store),
            Err(MerkleError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            inclusion_proof(0, 0, &store),
            Err(MerkleError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            consistency_proof(0, 3, &store),
            Err(MerkleError::BadSizes { old: 0, new: 3 })
        );
        assert_eq!(
            consistency_proof(4, 3, &store),
            Err(MerkleError::BadSizes { old: 4, new: 3 })
        );
        assert_eq!(consistency_proof(3, 3, &store), Ok(Vec::new()));
        // Sizes beyond what the store holds: a store error, not a panic.
        assert!(matches!(root(6, &store), Err(MerkleError::Store(_))));
        assert!(matches!(
            inclusion_proof(0, 1 << 40, &store),
            Err(MerkleError::Store(_))
        ));
        assert!(matches!(
            root(u64::MAX, &store),
            Err(MerkleError::SizeTooLarge(_))
        ));
        assert!(matches!(
            inclusion_proof(u64::MAX - 1, u64::MAX, &store),
            Err(MerkleError::SizeTooLarge(_))
        ));
        assert!(matches!(
            consistency_proof(1, u64::MAX, &store),
            Err(MerkleError::SizeTooLarge(_))
        ));
        assert!(stored_hashes_for_append(u64::MAX, [0; 32], &store).is_err());
    }
}
