//! Exact top-k by partial selection: a bounded binary heap whose root is the worst kept candidate, so each
//! row costs one comparison unless it beats the current k-th best. Order: higher score first, then lower
//! row index (deterministic tie-break, identical to the JS fallback). NaN scores are never selected.

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub index: u32,
    pub score: f64,
}

/// True if `a` ranks strictly better than `b`.
#[inline(always)]
fn better(a: &Hit, b: &Hit) -> bool {
    a.score > b.score || (a.score == b.score && a.index < b.index)
}

pub struct TopK {
    k: usize,
    /// Min-heap under `better`: heap[0] is the worst kept hit.
    heap: Vec<Hit>,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            heap: Vec::with_capacity(k.min(1 << 16)),
        }
    }

    /// True once k hits are kept (from then on a hit must beat the worst to enter).
    #[inline(always)]
    pub fn is_full(&self) -> bool {
        self.heap.len() >= self.k
    }

    /// The worst kept score (meaningful once full).
    #[inline(always)]
    pub fn worst_score(&self) -> f64 {
        self.heap
            .first()
            .map(|hit| hit.score)
            .unwrap_or(f64::NEG_INFINITY)
    }

    #[inline(always)]
    pub fn push(&mut self, index: u32, score: f64) {
        if self.k == 0 || score.is_nan() {
            return;
        }
        let hit = Hit { index, score };
        if self.heap.len() < self.k {
            self.heap.push(hit);
            self.sift_up(self.heap.len() - 1);
        } else if better(&hit, &self.heap[0]) {
            self.heap[0] = hit;
            self.sift_down(0);
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if better(&self.heap[parent], &self.heap[i]) {
                self.heap.swap(parent, i);
                i = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let left = 2 * i + 1;
            let right = left + 1;
            let mut worst = i;
            if left < n && better(&self.heap[worst], &self.heap[left]) {
                worst = left;
            }
            if right < n && better(&self.heap[worst], &self.heap[right]) {
                worst = right;
            }
            if worst == i {
                break;
            }
            self.heap.swap(i, worst);
            i = worst;
        }
    }

    /// Adds every hit of another partial result (used to merge per-thread results).
    pub fn merge(&mut self, other: TopK) {
        for hit in other.heap {
            self.push(hit.index, hit.score);
        }
    }

    /// The kept hits, best first.
    pub fn into_sorted(self) -> Vec<Hit> {
        let mut hits = self.heap;
        hits.sort_by(|a, b| {
            if better(a, b) {
                std::cmp::Ordering::Less
            } else if better(b, a) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_k_best_in_order_with_index_tie_break() {
        let mut top = TopK::new(3);
        for (i, s) in [0.1, 0.9, 0.5, 0.9, 0.2, f64::NAN, 0.7].iter().enumerate() {
            top.push(i as u32, *s);
        }
        let hits = top.into_sorted();
        assert_eq!(
            hits.iter().map(|h| h.index).collect::<Vec<_>>(),
            vec![1, 3, 6]
        );
    }

    #[test]
    fn matches_a_full_sort_on_pseudo_random_scores() {
        let mut seed = 12345u64;
        let scores: Vec<f64> = (0..5000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((seed >> 33) % 1000) as f64 / 1000.0
            })
            .collect();
        let mut top = TopK::new(25);
        for (i, s) in scores.iter().enumerate() {
            top.push(i as u32, *s);
        }
        let mut expected: Vec<(u32, f64)> = scores
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u32, *s))
            .collect();
        expected.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
        let got: Vec<u32> = top.into_sorted().iter().map(|h| h.index).collect();
        assert_eq!(
            got,
            expected.iter().take(25).map(|e| e.0).collect::<Vec<_>>()
        );
    }

    #[test]
    fn merge_equals_a_single_pass() {
        let mut a = TopK::new(2);
        let mut b = TopK::new(2);
        a.push(0, 0.5);
        a.push(1, 0.1);
        b.push(2, 0.9);
        b.push(3, 0.4);
        a.merge(b);
        assert_eq!(
            a.into_sorted().iter().map(|h| h.index).collect::<Vec<_>>(),
            vec![2, 0]
        );
    }
}
