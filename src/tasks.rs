//! The course's task list: which tasks a group sees, and adding, completing and deleting them.
//!
//! As in the course, Blue and Green users see the odd-numbered tasks and Red and Orange users
//! the even-numbered ones. A task a user adds gets the next number of their parity, so it shows
//! up for them.

use serde::{Deserialize, Serialize};

use crate::colors::{ButtonColor, NamedColor};
use cohort_leptos::json::Json;

/// The localStorage key the list is kept under.
pub const TASKS_KEY: &str = "cohort.tasks";

/// The longest task title kept.
pub const MAX_TITLE_CHARS: usize = 200;

/// Which task numbers a group sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parity {
    Odd,
    Even,
}

impl Parity {
    /// Odd for Blue and Green (and any other colour, as for the default blue); even for Red and
    /// Orange.
    pub fn for_color(color: &ButtonColor) -> Parity {
        match color.named() {
            Some(NamedColor::Red | NamedColor::Orange) => Parity::Even,
            _ => Parity::Odd,
        }
    }

    pub fn admits(self, number: u32) -> bool {
        match self {
            Parity::Odd => !number.is_multiple_of(2),
            Parity::Even => number.is_multiple_of(2),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Parity::Odd => "odd",
            Parity::Even => "even",
        }
    }
}

/// One task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub number: u32,
    pub title: String,
    pub done: bool,
}

/// The whole list (all parities), as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskList {
    pub tasks: Vec<Task>,
}

const COURSE_TASKS: [&str; 10] = [
    "Install the boot camp toolchain",
    "Watch the experimentation lecture",
    "Write your first feature gate",
    "Define the signup conversion metric",
    "Assign users to groups by hashing their ID",
    "Log the visited_signup event",
    "Check the sample ratio",
    "Read the lift and its confidence interval",
    "Ship the winning button colour",
    "Write up what you learned",
];

impl Default for TaskList {
    fn default() -> Self {
        TaskList::course()
    }
}

impl TaskList {
    /// The course's ten tasks.
    pub fn course() -> TaskList {
        TaskList {
            tasks: COURSE_TASKS
                .iter()
                .zip(1..)
                .map(|(title, number)| Task {
                    number,
                    title: (*title).to_owned(),
                    done: false,
                })
                .collect(),
        }
    }

    /// The list as stored (`{"tasks": [{"number", "title", "done"}, ...]}`, serde's shape of
    /// this type), read from the browser's parse; `None` if it is not that.
    pub fn from_json(json: &Json) -> Option<TaskList> {
        let tasks = json
            .get("tasks")?
            .items()?
            .iter()
            .map(|task| {
                let number = task.get("number")?.as_f64()?;
                Some(Task {
                    number: (number.fract() == 0.0
                        && (1.0..=f64::from(u32::MAX)).contains(&number))
                    .then_some(number as u32)?,
                    title: task.get("title")?.as_string()?,
                    done: task.get("done")?.as_bool()?,
                })
            })
            .collect::<Option<Vec<Task>>>()?;
        Some(TaskList { tasks })
    }

    /// The tasks a group sees, in order.
    pub fn visible(&self, parity: Parity) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(move |t| parity.admits(t.number))
    }

    /// Adds a task for a group; returns its number, or `None` for a blank title.
    pub fn add(&mut self, title: &str, parity: Parity) -> Option<u32> {
        let title: String = title.trim().chars().take(MAX_TITLE_CHARS).collect();
        if title.is_empty() {
            return None;
        }
        let mut number = self.tasks.iter().map(|t| t.number).max().unwrap_or(0) + 1;
        if !parity.admits(number) {
            number += 1;
        }
        self.tasks.push(Task {
            number,
            title,
            done: false,
        });
        Some(number)
    }

    /// Marks a task done or not done again; returns whether it is now done.
    pub fn toggle(&mut self, number: u32) -> bool {
        match self.tasks.iter_mut().find(|t| t.number == number) {
            Some(task) => {
                task.done = !task.done;
                task.done
            }
            None => false,
        }
    }

    pub fn remove(&mut self, number: u32) {
        self.tasks.retain(|t| t.number != number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(list: &TaskList, parity: Parity) -> Vec<u32> {
        list.visible(parity).map(|t| t.number).collect()
    }

    #[test]
    fn blue_and_green_see_odd_red_and_orange_even() {
        let list = TaskList::course();
        for (color, parity) in [
            ("Blue", Parity::Odd),
            ("Green", Parity::Odd),
            ("Red", Parity::Even),
            ("Orange", Parity::Even),
            ("#123456", Parity::Odd),
        ] {
            assert_eq!(
                Parity::for_color(&ButtonColor::parse(color).unwrap()),
                parity
            );
        }
        assert_eq!(numbers(&list, Parity::Odd), vec![1, 3, 5, 7, 9]);
        assert_eq!(numbers(&list, Parity::Even), vec![2, 4, 6, 8, 10]);
    }

    #[test]
    fn added_tasks_are_visible_to_their_group() {
        let mut list = TaskList::course();
        let odd = list.add("  Review the dashboard ", Parity::Odd).unwrap();
        assert_eq!(odd, 11);
        let even = list.add("Pair with a classmate", Parity::Even).unwrap();
        assert_eq!(even, 12);
        let odd_again = list.add("Another", Parity::Odd).unwrap();
        assert_eq!(odd_again, 13);
        assert!(numbers(&list, Parity::Odd).contains(&11));
        assert!(numbers(&list, Parity::Even).contains(&12));
        assert_eq!(list.tasks.last().unwrap().title, "Another");
        assert_eq!(list.add("   ", Parity::Odd), None);
        let long = "x".repeat(500);
        let n = list.add(&long, Parity::Odd).unwrap();
        let task = list.tasks.iter().find(|t| t.number == n).unwrap();
        assert_eq!(task.title.chars().count(), MAX_TITLE_CHARS);
    }

    #[test]
    fn toggle_and_remove() {
        let mut list = TaskList::course();
        assert!(list.toggle(3));
        assert!(list.tasks.iter().find(|t| t.number == 3).unwrap().done);
        assert!(!list.toggle(3));
        assert!(!list.tasks.iter().find(|t| t.number == 3).unwrap().done);
        assert!(!list.toggle(42));
        list.remove(3);
        assert_eq!(numbers(&list, Parity::Odd), vec![1, 5, 7, 9]);
        list.remove(42);
        assert_eq!(list.tasks.len(), 9);
    }
}
