//! Placing records on the collector's clock.
//!
//! Browser clocks are wrong by minutes to days. The page sends its clock with each batch
//! (`sent_at`); the time between a record and its batch is measured on the one clock, so the
//! collector places the record at `time + (received_at - sent_at)` on its own clock, and only
//! then applies its limits. A batch without `sent_at` (another client) is taken at its word.

/// How far past its batch's `sent_at` a record's time may be (a clock set back between the
/// two), or, without `sent_at`, past the collector's clock, in milliseconds.
pub const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;
/// How old a record may be (a page offline for a while), in milliseconds.
pub const MAX_AGE_MS: i64 = 90 * 24 * 60 * 60 * 1000;

/// The record's time on the collector's clock, or why it cannot be placed.
///
/// A record a little after its batch was sent (a clock stepped back in between) is placed at
/// the batch's arrival; one more than [`MAX_FUTURE_MS`] after it, or older than
/// [`MAX_AGE_MS`] once placed, is refused.
pub fn place(time: i64, sent_at: Option<i64>, received_at: i64) -> Result<i64, String> {
    let placed = match sent_at {
        Some(sent_at) => {
            if time > sent_at.saturating_add(MAX_FUTURE_MS) {
                return Err(format!(
                    "time {time} is {} s after the batch was sent",
                    (time - sent_at) / 1000
                ));
            }
            received_at.saturating_sub(sent_at.saturating_sub(time).max(0))
        }
        None => {
            if time > received_at.saturating_add(MAX_FUTURE_MS) {
                return Err(format!(
                    "time {time} is {} s in the future",
                    (time - received_at) / 1000
                ));
            }
            time.min(received_at)
        }
    };
    if placed < received_at.saturating_sub(MAX_AGE_MS) {
        return Err(format!(
            "time {time} is more than 90 days before the batch was sent"
        ));
    }
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000_000;
    const MINUTE: i64 = 60_000;
    const DAY: i64 = 24 * 60 * MINUTE;

    #[test]
    fn a_wrong_clock_is_corrected_by_the_batch_clock() {
        for skew in [10 * MINUTE, -10 * MINUTE, 2 * DAY, -30 * DAY] {
            // A record made 3 s before the batch was sent, on a clock `skew` off.
            let sent_at = NOW + skew;
            assert_eq!(
                place(sent_at - 3000, Some(sent_at), NOW),
                Ok(NOW - 3000),
                "skew {skew}"
            );
        }
    }

    #[test]
    fn limits_apply_after_correction() {
        // Queued for 91 days offline: too old, whatever the clock says.
        let sent_at = NOW + 2 * DAY;
        assert!(place(sent_at - 91 * DAY, Some(sent_at), NOW)
            .unwrap_err()
            .contains("90 days"));
        assert_eq!(
            place(sent_at - 89 * DAY, Some(sent_at), NOW),
            Ok(NOW - 89 * DAY)
        );
        // A clock stepped back a little between the record and the batch: placed at arrival.
        assert_eq!(place(NOW + 2 * MINUTE, Some(NOW), NOW + 50), Ok(NOW + 50));
        assert!(place(NOW + 6 * MINUTE, Some(NOW), NOW)
            .unwrap_err()
            .contains("after the batch"));
    }

    #[test]
    fn without_sent_at_times_are_taken_at_their_word() {
        assert_eq!(place(NOW - 1000, None, NOW), Ok(NOW - 1000));
        assert_eq!(place(NOW + 1000, None, NOW), Ok(NOW));
        assert!(place(NOW + 6 * MINUTE, None, NOW)
            .unwrap_err()
            .contains("in the future"));
        assert!(place(0, None, NOW).unwrap_err().contains("90 days"));
    }
}
