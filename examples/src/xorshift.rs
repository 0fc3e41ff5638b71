//! A seeded xorshift64 generator: the examples' deterministic randomness
//! (synthetic traffic, test inputs), the same sequence for the same seed on
//! every machine, and no external randomness.

/// Marsaglia's xorshift64 (shifts 13, 7, 17).
///
/// ```
/// use examples::xorshift::Xorshift;
/// let mut a = Xorshift::new(7);
/// let mut b = Xorshift::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct Xorshift {
    state: u64,
}

impl Xorshift {
    /// A generator seeded with `seed` (0, which xorshift cannot leave, counts as 1).
    pub fn new(seed: u64) -> Self {
        Self { state: seed.max(1) }
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// A number in `0..bound` (`bound` 0 counts as 1).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}
