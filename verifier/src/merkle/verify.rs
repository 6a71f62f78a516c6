//! Pure verification of inclusion and consistency proofs: RFC 9162 §2.1.3.2 and §2.1.4.2,
//! step by step, with every out-of-range input an error rather than a panic.
//!
//! Beyond the RFC's algorithms (which assume `0 < first < second` for consistency), the edge
//! cases follow the reference test vectors: equal sizes need an empty proof and equal roots;
//! a consistency proof from the empty tree is refused as meaningless (it proves nothing about
//! the new tree, so accepting one could only hide a caller's mistake).

use super::{node_hash, Hash};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ProofError {
    #[error("a hash is 32 bytes, got {0}")]
    HashLength(usize),
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("consistency from the empty tree proves nothing")]
    EmptyOldTree,
    #[error("new size {new} is smaller than old size {old}")]
    SizeDecreased { old: u64, new: u64 },
    #[error("the proof has {0} hashes where none are expected")]
    UnexpectedProof(usize),
    #[error("the proof is empty")]
    EmptyProof,
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    #[error("the computed root does not match")]
    RootMismatch,
    #[error("the computed old root does not match")]
    OldRootMismatch,
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves whose root is `root`,
/// given the audit path `proof` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // Step 1.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // Steps 2 and 3: `node` walks up from the leaf, `last` from the tree's last leaf.
    let mut node = index;
    let mut last = size - 1;
    let mut hash = *leaf_hash;
    // Step 4.
    for sibling in proof {
        if last == 0 {
            return Err(ProofError::WrongLength);
        }
        if node & 1 == 1 || node == last {
            hash = node_hash(sibling, &hash);
            if node & 1 == 0 {
                // A right edge without sibling: climb until this node is a right child.
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    // Step 5.
    if last != 0 {
        return Err(ProofError::WrongLength);
    }
    if hash != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`, given the consistency proof `proof`
/// (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if new_size < old_size {
        return Err(ProofError::SizeDecreased {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::UnexpectedProof(proof.len()));
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    // Step 1.
    let Some((first, rest)) = proof.split_first() else {
        return Err(ProofError::EmptyProof);
    };
    // Step 2: when the old tree is a complete subtree, its root is the implicit first element.
    let (start, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    // Step 3.
    let mut node = old_size - 1;
    let mut last = new_size - 1;
    // Step 4.
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }
    // Step 5.
    let mut old_hash = *start;
    let mut new_hash = *start;
    // Step 6.
    for sibling in rest {
        if last == 0 {
            return Err(ProofError::WrongLength);
        }
        if node & 1 == 1 || node == last {
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
            if node & 1 == 0 {
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            new_hash = node_hash(&new_hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    // Step 7.
    if last != 0 {
        return Err(ProofError::WrongLength);
    }
    if old_hash != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if new_hash != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{leaf_hash, MemoryStore, MerkleLog};
    use super::*;
    use proptest::prelude::*;

    fn log_of(n: u64) -> MerkleLog<MemoryStore> {
        let mut log = MerkleLog::new(MemoryStore::new());
        for i in 0..n {
            log.append(format!("leaf {i}").as_bytes()).unwrap();
        }
        log
    }

    #[test]
    fn every_generated_proof_up_to_64_verifies() {
        let log = log_of(64);
        let roots: Vec<Hash> = (0..=64).map(|size| log.root_at(size).unwrap()).collect();
        for size in 1..=64u64 {
            let root = roots[size as usize];
            for index in 0..size {
                let leaf = leaf_hash(format!("leaf {index}").as_bytes());
                let proof = log.inclusion_proof(index, size).unwrap();
                assert_eq!(
                    verify_inclusion(&leaf, index, size, &proof, &root),
                    Ok(()),
                    "inclusion of {index} in {size}"
                );
                // The same proof fails for every other position and size.
                if size > 1 {
                    let other = (index + 1) % size;
                    assert!(verify_inclusion(&leaf, other, size, &proof, &root).is_err());
                }
                // Nor for a neighbouring size with its own root. (With the same root it might:
                // a root does not commit to the size; the signed checkpoint binds the two.)
                if size < 64 {
                    let bigger = roots[size as usize + 1];
                    assert!(verify_inclusion(&leaf, index, size + 1, &proof, &bigger).is_err());
                }
            }
            for old in 1..=size {
                let proof = log.consistency_proof(old, size).unwrap();
                assert_eq!(
                    verify_consistency(old, size, &roots[old as usize], &root, &proof),
                    Ok(()),
                    "consistency {old} -> {size}"
                );
                if old > 1 {
                    assert!(verify_consistency(
                        old - 1,
                        size,
                        &roots[old as usize - 1],
                        &root,
                        &proof
                    )
                    .is_err());
                }
            }
        }
    }

    #[test]
    fn edge_cases() {
        let h = [7u8; 32];
        assert_eq!(
            verify_inclusion(&h, 0, 0, &[], &h),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(verify_inclusion(&h, 0, 1, &[], &h), Ok(()));
        assert_eq!(
            verify_inclusion(&h, 0, 1, &[h], &h),
            Err(ProofError::WrongLength)
        );
        assert_eq!(
            verify_inclusion(&h, u64::MAX, u64::MAX, &[], &h),
            Err(ProofError::IndexOutOfRange {
                index: u64::MAX,
                size: u64::MAX
            })
        );
        assert_eq!(
            verify_inclusion(&h, u64::MAX - 1, u64::MAX, &[h; 70], &h),
            Err(ProofError::WrongLength)
        );
        assert_eq!(verify_consistency(1, 1, &h, &h, &[]), Ok(()));
        assert_eq!(
            verify_consistency(0, 0, &h, &h, &[]),
            Err(ProofError::EmptyOldTree)
        );
        assert_eq!(
            verify_consistency(2, 1, &h, &h, &[]),
            Err(ProofError::SizeDecreased { old: 2, new: 1 })
        );
        assert_eq!(
            verify_consistency(1, 2, &h, &h, &[]),
            Err(ProofError::EmptyProof)
        );
        assert_eq!(
            verify_consistency(3, 3, &h, &h, &[h]),
            Err(ProofError::UnexpectedProof(1))
        );
        assert!(verify_consistency(1, u64::MAX, &h, &h, &[h; 70]).is_err());
        assert!(verify_consistency(u64::MAX - 1, u64::MAX, &h, &h, &[h; 3]).is_err());
    }

    /// One random change to a valid proof: flip a bit of an element or of the root, drop,
    /// insert, duplicate or swap elements, or shift the index or a size.
    #[derive(Debug, Clone)]
    enum Mutation {
        FlipProofBit { element: usize, bit: usize },
        FlipRootBit { bit: usize },
        FlipLeafBit { bit: usize },
        Remove { element: usize },
        Insert { element: usize, value: [u8; 32] },
        Duplicate { element: usize },
        Swap { a: usize, b: usize },
        Index { delta: i64 },
        Size { delta: i64 },
        OldRootBit { bit: usize },
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            (0..64usize, 0..256usize)
                .prop_map(|(element, bit)| Mutation::FlipProofBit { element, bit }),
            (0..256usize).prop_map(|bit| Mutation::FlipRootBit { bit }),
            (0..256usize).prop_map(|bit| Mutation::FlipLeafBit { bit }),
            (0..64usize).prop_map(|element| Mutation::Remove { element }),
            (0..64usize, any::<[u8; 32]>())
                .prop_map(|(element, value)| Mutation::Insert { element, value }),
            (0..64usize).prop_map(|element| Mutation::Duplicate { element }),
            (0..64usize, 0..64usize).prop_map(|(a, b)| Mutation::Swap { a, b }),
            prop_oneof![-3i64..=3, Just(i64::MIN), Just(i64::MAX)]
                .prop_map(|delta| Mutation::Index { delta }),
            prop_oneof![-3i64..=3, Just(i64::MIN), Just(i64::MAX)]
                .prop_map(|delta| Mutation::Size { delta }),
            (0..256usize).prop_map(|bit| Mutation::OldRootBit { bit }),
        ]
    }

    fn flip(hash: &mut Hash, bit: usize) {
        hash[bit / 8] ^= 1 << (bit % 8);
    }

    fn shift(value: u64, delta: i64) -> u64 {
        value.wrapping_add_signed(delta)
    }

    /// Applies the mutation; `None` when it would leave everything unchanged.
    fn mutate(
        m: &Mutation,
        proof: &mut Vec<Hash>,
        root: &mut Hash,
        leaf: &mut Hash,
        old_root: &mut Hash,
        index: &mut u64,
        size: &mut u64,
    ) -> Option<()> {
        match *m {
            Mutation::FlipProofBit { element, bit } => {
                let len = proof.len();
                flip(proof.get_mut(element % len.max(1))?, bit)
            }
            Mutation::FlipRootBit { bit } => flip(root, bit),
            Mutation::FlipLeafBit { bit } => flip(leaf, bit),
            Mutation::OldRootBit { bit } => flip(old_root, bit),
            Mutation::Remove { element } => {
                if proof.is_empty() {
                    return None;
                }
                let len = proof.len();
                proof.remove(element % len);
            }
            Mutation::Insert { element, value } => {
                let at = element % (proof.len() + 1);
                proof.insert(at, value);
            }
            Mutation::Duplicate { element } => {
                let len = proof.len();
                let copy = *proof.get(element % len.max(1))?;
                proof.insert(element % len, copy);
            }
            Mutation::Swap { a, b } => {
                let len = proof.len().max(1);
                let (a, b) = (a % len, b % len);
                if a == b || proof.get(a)? == proof.get(b)? {
                    return None;
                }
                proof.swap(a, b);
            }
            Mutation::Index { delta } => {
                if delta == 0 {
                    return None;
                }
                *index = shift(*index, delta);
            }
            Mutation::Size { delta } => {
                if delta == 0 {
                    return None;
                }
                *size = shift(*size, delta);
            }
        }
        Some(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn mutated_inclusion_proofs_are_rejected(
            size in 1u64..=40,
            index_seed in any::<u64>(),
            m in mutation(),
        ) {
            let log = log_of(40);
            let index = index_seed % size;
            let mut proof = log.inclusion_proof(index, size).unwrap();
            let mut root = log.root_at(size).unwrap();
            let mut leaf = leaf_hash(format!("leaf {index}").as_bytes());
            let (mut index, mut size, mut unused) = (index, size, [0u8; 32]);
            let original = (proof.clone(), root, leaf, index, size);
            if mutate(&m, &mut proof, &mut root, &mut leaf, &mut unused, &mut index, &mut size).is_none() {
                return Ok(());
            }
            // A mutation that changes nothing that is checked (e.g. a mutated old root) is
            // not a forgery.
            if (proof.clone(), root, leaf, index, size) == original {
                return Ok(());
            }
            let verdict = verify_inclusion(&leaf, index, size, &proof, &root);
            if size != original.4 {
                // A root does not commit to its size (the signed checkpoint binds them), so a
                // changed size is only a forgery against that size's own root.
                if !(1..=40).contains(&size) {
                    return Ok(()); // no panic is all that can be asked
                }
                root = log.root_at(size).unwrap();
                prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_err(),
                    "accepted mutation {:?}", m);
                return Ok(());
            }
            prop_assert!(verdict.is_err(), "accepted mutation {:?}", m);
        }

        #[test]
        fn mutated_consistency_proofs_are_rejected(
            new in 2u64..=40,
            old_seed in any::<u64>(),
            m in mutation(),
        ) {
            let log = log_of(40);
            let old = 1 + old_seed % (new - 1); // 1 <= old < new
            let mut proof = log.consistency_proof(old, new).unwrap();
            let mut new_root = log.root_at(new).unwrap();
            let mut old_root = log.root_at(old).unwrap();
            let (mut old_size, mut new_size, mut unused) = (old, new, [0u8; 32]);
            let original = (proof.clone(), new_root, old_root, old_size, new_size);
            if mutate(&m, &mut proof, &mut new_root, &mut unused, &mut old_root, &mut old_size, &mut new_size).is_none() {
                return Ok(());
            }
            if (proof.clone(), new_root, old_root, old_size, new_size) == original {
                return Ok(());
            }
            // As for inclusion: a changed size is checked against that size's own root.
            if old_size != original.3 {
                if !(1..=40).contains(&old_size) {
                    let _ = verify_consistency(old_size, new_size, &old_root, &new_root, &proof);
                    return Ok(());
                }
                old_root = log.root_at(old_size).unwrap();
            }
            if new_size != original.4 {
                if !(1..=40).contains(&new_size) {
                    let _ = verify_consistency(old_size, new_size, &old_root, &new_root, &proof);
                    return Ok(());
                }
                new_root = log.root_at(new_size).unwrap();
            }
            prop_assert!(
                verify_consistency(old_size, new_size, &old_root, &new_root, &proof).is_err(),
                "accepted mutation {:?}", m);
        }

        #[test]
        fn arbitrary_inputs_never_panic(
            index in any::<u64>(),
            size in any::<u64>(),
            proof in proptest::collection::vec(any::<[u8; 32]>(), 0..80),
            a in any::<[u8; 32]>(),
            b in any::<[u8; 32]>(),
        ) {
            let _ = verify_inclusion(&a, index, size, &proof, &b);
            let _ = verify_consistency(index, size, &a, &b, &proof);
            let _ = verify_inclusion(&a, index % 100, size % 100, &proof, &b);
            let _ = verify_consistency(index % 100, size % 100, &a, &b, &proof);
        }
    }
}
