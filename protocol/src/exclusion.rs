//! Why a record is kept out of the results: a short stable code, stored with the record and
//! counted by it (a sentence reworded would split one count into two), and the sentence
//! people read for it.

/// Why a record is kept out of the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExclusionReason {
    /// A group the record claims is not the one the rules give its user (forged, or sent by a
    /// page built from other rules).
    GroupMismatch,
    /// Sent by a crawler or a headless browser.
    Bot,
}

impl ExclusionReason {
    /// Every reason.
    pub const ALL: [ExclusionReason; 2] = [ExclusionReason::GroupMismatch, ExclusionReason::Bot];

    /// The code stored and answered.
    ///
    /// ```
    /// # use cohort_protocol::ExclusionReason;
    /// assert_eq!(ExclusionReason::GroupMismatch.code(), "group_mismatch");
    /// assert_eq!(ExclusionReason::from_code("bot"), Some(ExclusionReason::Bot));
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            ExclusionReason::GroupMismatch => "group_mismatch",
            ExclusionReason::Bot => "bot",
        }
    }

    /// The reason a code names.
    pub fn from_code(code: &str) -> Option<ExclusionReason> {
        ExclusionReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What people read for it.
    pub fn sentence(self) -> &'static str {
        match self {
            ExclusionReason::GroupMismatch => "its group is not the one the rules give its user",
            ExclusionReason::Bot => "sent by a crawler or a headless browser",
        }
    }
}

/// What people read for a stored code: its reason's sentence, or the code itself when this
/// version does not know it (a newer collector's).
pub fn exclusion_sentence(code: &str) -> &str {
    match ExclusionReason::from_code(code) {
        Some(reason) => reason.sentence(),
        None => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_has_its_own_code_and_reads_back_from_it() {
        for reason in ExclusionReason::ALL {
            assert_eq!(ExclusionReason::from_code(reason.code()), Some(reason));
            assert_eq!(exclusion_sentence(reason.code()), reason.sentence());
        }
        assert_eq!(exclusion_sentence("newer_reason"), "newer_reason");
    }
}
