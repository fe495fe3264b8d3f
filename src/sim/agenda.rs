//! A world's agenda: what happens next, in time order. At the same instant items go by their
//! rank (a world ranks, say, calls ringing before teams moving), then in the order they were
//! booked, so a world that books the same things gets the same order on every run.

use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct Agenda<T> {
    items: BTreeMap<(i64, u8, u64), T>,
    booked: u64,
}

impl<T> Default for Agenda<T> {
    fn default() -> Self {
        Agenda {
            items: BTreeMap::new(),
            booked: 0,
        }
    }
}

impl<T> Agenda<T> {
    pub fn book(&mut self, at: i64, rank: u8, item: T) {
        self.booked += 1;
        self.items.insert((at, rank, self.booked), item);
    }

    /// The first item due at or before `until`, taken off the agenda, with its time.
    pub fn next_due(&mut self, until: i64) -> Option<(i64, T)> {
        let entry = self.items.first_entry()?;
        let at = entry.key().0;
        (at <= until).then(|| (at, entry.remove()))
    }

    /// The first item, in agenda order, that `pick` chooses, taken off the agenda.
    pub fn take_first(&mut self, pick: impl Fn(&T) -> bool) -> Option<(i64, T)> {
        let key = *self.items.iter().find(|(_, item)| pick(item))?.0;
        self.items.remove(&key).map(|item| (key.0, item))
    }

    /// When the first item that `pick` chooses is due.
    pub fn first_time(&self, pick: impl Fn(&T) -> bool) -> Option<i64> {
        self.items
            .iter()
            .find(|(_, item)| pick(item))
            .map(|(key, _)| key.0)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_come_by_time_then_rank_then_booking() {
        let mut agenda = Agenda::default();
        agenda.book(20, 0, "late");
        agenda.book(10, 2, "team");
        agenda.book(10, 0, "call");
        agenda.book(10, 2, "team again");
        assert_eq!(agenda.next_due(5), None);
        let order: Vec<&str> = std::iter::from_fn(|| agenda.next_due(15))
            .map(|(_, i)| i)
            .collect();
        assert_eq!(order, ["call", "team", "team again"]);
        assert_eq!(agenda.take_first(|i| *i == "late"), Some((20, "late")));
        assert!(agenda.is_empty());
    }
}
