//! The sets compiled targets are kept in: sorted strings for binary search, and a bitset of
//! `user_bucket` values.

/// A set of strings, sorted for binary search (and for a stable `Debug`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StrSet(Box<[String]>);

impl StrSet {
    /// A set from strings already sorted and without duplicates (as generated code writes
    /// them), without sorting again.
    pub fn from_sorted(items: Box<[String]>) -> StrSet {
        debug_assert!(
            items.windows(2).all(|w| w[0] < w[1]),
            "not sorted and unique"
        );
        StrSet(items)
    }

    pub fn contains(&self, s: &str) -> bool {
        self.0
            .binary_search_by(|probe| probe.as_str().cmp(s))
            .is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl FromIterator<String> for StrSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut items: Vec<String> = iter.into_iter().collect();
        items.sort_unstable();
        items.dedup();
        StrSet(items.into_boxed_slice())
    }
}

impl<'a> FromIterator<&'a str> for StrSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        iter.into_iter().map(str::to_owned).collect()
    }
}

/// A set of `user_bucket` values (0..1000) as a bitset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSet([u64; 16]);

impl BucketSet {
    pub fn new(buckets: impl IntoIterator<Item = i128>) -> BucketSet {
        let mut bits = [0u64; 16];
        for b in buckets {
            if (0..1024).contains(&b) {
                bits[(b / 64) as usize] |= 1 << (b % 64);
            }
        }
        BucketSet(bits)
    }

    /// The set from its 16 words (bit `b % 64` of word `b / 64` is bucket `b`).
    pub const fn from_words(words: [u64; 16]) -> BucketSet {
        BucketSet(words)
    }

    pub fn words(&self) -> &[u64; 16] {
        &self.0
    }

    pub fn contains(&self, bucket: u16) -> bool {
        let b = usize::from(bucket);
        b < 1024 && self.0[b / 64] & (1 << (b % 64)) != 0
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
