//! Retrying after a failure: exponential backoff with jitter, one timer at a time. Nothing is
//! dropped for a failure; the queue waits for the timer (or the browser coming back online).

use gloo_timers::callback::Timeout;

/// How long to wait before retry number `attempt` (1, 2, ...): 1 s doubling up to a minute.
pub fn backoff_ms(attempt: u32) -> u32 {
    1000u32
        .saturating_mul(1 << attempt.saturating_sub(1).min(6))
        .min(60_000)
}

/// The retry state of the log's delivery.
#[derive(Default)]
pub(crate) struct Backoff {
    attempt: u32,
    timer: Option<Timeout>,
}

impl Backoff {
    /// Whether a retry is scheduled (sending waits for it).
    pub(crate) fn waiting(&self) -> bool {
        self.timer.is_some()
    }

    /// A batch was answered: the next failure starts from the first delay again.
    pub(crate) fn succeeded(&mut self) {
        self.attempt = 0;
    }

    /// Forgets the scheduled retry and the failures (the browser is back online).
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
        self.timer = None;
    }

    /// The timer fired.
    pub(crate) fn fired(&mut self) {
        self.timer = None;
    }

    /// Schedules `retry` after the next delay (with up to 250 ms of jitter); returns the delay.
    pub(crate) fn schedule(&mut self, retry: impl FnOnce() + 'static) -> u32 {
        self.attempt += 1;
        let delay = backoff_ms(self.attempt) + (js_sys::Math::random() * 250.0) as u32;
        self.timer = Some(Timeout::new(delay, retry));
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        assert_eq!(
            (1..=9).map(backoff_ms).collect::<Vec<_>>(),
            vec![1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]
        );
    }
}
