//! Adjusting p-values for many comparisons at once, as GrowthBook's front end does
//! (`adjustPValuesHolmBonferroni`, `adjustPValuesBenjaminiHochberg`, ported line for line):
//! Holm-Bonferroni controls the chance of any false positive, Benjamini-Hochberg the share of
//! false positives among the positives.

/// Holm-Bonferroni: sorted ascending, `p·(m - i)` capped at 1, then a running maximum.
pub fn holm_bonferroni(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted: Vec<f64> = order
        .iter()
        .enumerate()
        .map(|(rank, &i)| (p_values[i] * (m - rank) as f64).min(1.0))
        .collect();
    for rank in 1..m {
        if adjusted[rank] <= adjusted[rank - 1] {
            adjusted[rank] = adjusted[rank - 1];
        }
    }
    unsort(&order, &adjusted)
}

/// Benjamini-Hochberg: sorted descending, `p·m / (m - i)` capped at 1, then a running
/// minimum.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| (-p_values[a]).total_cmp(&-p_values[b]));
    let mut adjusted: Vec<f64> = order
        .iter()
        .enumerate()
        .map(|(rank, &i)| (p_values[i] * m as f64 / (m - rank) as f64).min(1.0))
        .collect();
    for rank in 1..m {
        if adjusted[rank] >= adjusted[rank - 1] {
            adjusted[rank] = adjusted[rank - 1];
        }
    }
    unsort(&order, &adjusted)
}

fn unsort(order: &[usize], sorted: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; sorted.len()];
    for (rank, &i) in order.iter().enumerate() {
        out[i] = sorted[rank];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_example() {
        // SPEC.md section 11: Red, Green, Orange against control.
        let p = [0.027966970, 0.22576, 0.62863];
        let holm = holm_bonferroni(&p);
        assert!((holm[0] - 0.08390091).abs() < 1e-8);
        assert!((holm[1] - 0.45152).abs() < 1e-12);
        assert!((holm[2] - 0.62863).abs() < 1e-12);
        let bh = benjamini_hochberg(&p);
        assert!((bh[0] - 0.08390091).abs() < 1e-8);
        assert!((bh[1] - 0.33864).abs() < 1e-12);
        assert!((bh[2] - 0.62863).abs() < 1e-12);
    }

    #[test]
    fn ties_and_ones_keep_their_places() {
        assert_eq!(holm_bonferroni(&[0.5, 0.5, 1.0]), vec![1.0, 1.0, 1.0]);
        assert_eq!(benjamini_hochberg(&[0.01, 0.01]), vec![0.01, 0.01]);
        assert!(holm_bonferroni(&[]).is_empty());
    }
}
