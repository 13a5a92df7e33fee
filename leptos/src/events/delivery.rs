//! Delivery: sending the queue to the collector batch by batch until it is empty, acting on
//! each answer (remove what was answered, go solo after a whole-batch refusal, stop when no
//! collector answers, back off on failures).

use super::answer::{classify, Answer};
use super::batch::Sent;
use super::queue::Queue;
use super::record::now_ms;
use super::{with_state, EventLog};
use crate::console;
use crate::fetch::{fetch, Request};

/// The endpoint, the next batch's body and what it holds, if there is anything to send.
pub(crate) fn next_batch() -> Option<(String, String, Sent)> {
    with_state(|s| {
        let endpoint = s.endpoint.clone()?;
        let queue = Queue::new(&s.store);
        let size = s.solo.batch_size(queue.first_key().as_deref());
        let (body, sent) = queue.next_batch(size, now_ms())?;
        Some((endpoint, body, sent))
    })
    .flatten()
}

/// Sends batches until the queue is empty, a retry is scheduled or no collector answers.
pub(crate) async fn send_all() {
    while let Some((endpoint, body, batch)) = next_batch() {
        match post(&endpoint, &body).await {
            Answer::Stored { refused } => with_state(|s| {
                for r in &refused {
                    console::error(&format!(
                        "the collector refused record {} of a batch of {}: {}; it is dropped",
                        r.index,
                        batch.keys.len(),
                        r.reason
                    ));
                }
                Queue::new(&s.store).remove(&batch);
                s.backoff.succeeded();
            }),
            Answer::Refused(reason) if batch.keys.len() > 1 => with_state(|s| {
                console::warn(&format!(
                    "the collector refused a batch of {} records ({reason}); sending them one \
                     at a time",
                    batch.keys.len()
                ));
                s.solo.start(batch.keys.last().cloned());
            }),
            Answer::Refused(reason) => with_state(|s| {
                console::error(&format!(
                    "the collector refused a record ({reason}); it is dropped"
                ));
                Queue::new(&s.store).remove(&batch);
            }),
            Answer::NotHere => {
                console::warn(&format!(
                    "no collector answers at {endpoint}; events stay in this browser"
                ));
                with_state(|s| s.endpoint = None);
                break;
            }
            Answer::Later(why) => {
                with_state(|s| {
                    let delay = s.backoff.schedule(|| {
                        with_state(|s| s.backoff.fired());
                        EventLog.flush();
                    });
                    console::warn(&format!(
                        "sending events failed ({why}); retrying in {delay} ms"
                    ));
                });
                break;
            }
        };
    }
    with_state(|s| s.sending = false);
}

async fn post(endpoint: &str, body: &str) -> Answer {
    let request = Request {
        body: Some(body),
        keepalive: true,
        ..Request::default()
    };
    match fetch(endpoint, request).await {
        Ok(reply) => classify(reply.status, &reply.text),
        Err(e) => Answer::Later(e.to_string()),
    }
}
