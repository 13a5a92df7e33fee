//! Reading the collector's answer to a batch: stored (with the records it refused for their
//! content), refused as a whole, no collector here, or try again later.

use crate::json::Json;

/// What the collector said to a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Every record is accounted for: stored, already stored, or refused for its content
    /// (each with its position and reason).
    Stored { refused: Vec<Refused> },
    /// 4xx: the batch as a whole is invalid and will stay so.
    Refused(String),
    /// No collector at this URL (404, 405, or a static host's page).
    NotHere,
    /// Try again later (network error, 5xx, 408, 429).
    Later(String),
}

/// A record the collector refused (`cohort_protocol::Refusal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub index: usize,
    pub reason: String,
}

/// The answer a `status` and body `text` make.
pub(crate) fn classify(status: u16, text: &str) -> Answer {
    let answer = Json::parse(text);
    match status {
        // A 2xx that is not an acknowledgement is a static host's page, not a collector.
        200..=299 => match answer.as_ref().and_then(acknowledged) {
            Some(refused) => Answer::Stored { refused },
            None => Answer::NotHere,
        },
        404 | 405 => Answer::NotHere,
        408 | 429 => Answer::Later(format!("status {status}")),
        400..=499 => Answer::Refused(match answer.and_then(|a| a.get("error")?.as_string()) {
            Some(error) => format!("status {status}: {error}"),
            None => format!("status {status}"),
        }),
        _ => Answer::Later(format!("status {status}")),
    }
}

/// The records an acknowledgement (`cohort_protocol::Ack`: `{"stored": n, "refused": [...]}`)
/// refuses; `None` if `answer` is not one.
fn acknowledged(answer: &Json) -> Option<Vec<Refused>> {
    answer.get("stored")?.as_f64()?;
    let Some(refused) = answer.get("refused") else {
        return Some(Vec::new());
    };
    refused
        .items()?
        .iter()
        .map(|r| {
            Some(Refused {
                index: r.get("index")?.as_f64()? as usize,
                reason: r.get("reason")?.as_string()?,
            })
        })
        .collect()
}
