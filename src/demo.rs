//! The demo centre: a STAR-sized community response program (docs/demo.md gives its figures and
//! their sources) that keeps working while the demo console is open, and whose past week is
//! the history the console opens on.
//!
//! Eight two-person teams and two police co-responders in six Denver-like zones, on duty
//! 06:00–22:00 UTC; about 30 eligible calls per service day as a Poisson process, plus a few
//! that arrive outside service hours or need police or EMS instead. Its [`world`] speaks only
//! command lines, through the desk, like training's simulation (it is a
//! [`crate::sim::World`], stepped by the console the same way): the same world fills the
//! history as fast as the store commits, then runs on the real clock while the console is
//! open, with the person at the console working alongside its colleague. [`town`] is where
//! calls happen and what they are about; [`people`] who calls and who answers; [`scene`] what
//! teams do there.
//!
//! Everything random comes from one seeded [`StdRng`](rand::rngs::StdRng) and the agenda is
//! processed in a fixed order, so the same seed, days and `now_ms` give the same command lines
//! (call ids aside: they carry the store's random replica tag).

mod calls;
mod dispatch;
mod notes;
mod people;
mod scene;
mod town;
mod world;

use rand::rngs::StdRng;
use rand::RngExt;

use crate::desk::{Desk, DeskError, ManualClock};
use crate::domain::{Event, Refusal, State, UnitStatus};
use crate::sim::{News, SimError};
use crate::store::Store;

use world::{Duty, Ev, World};

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Service hours, as offsets into the UTC day.
const SERVICE_START: i64 = 6 * HOUR;
const SERVICE_END: i64 = 22 * HOUR;
/// How much of a gap since the demo was last open is played through when it opens again;
/// before that the centre was quiet.
const CATCH_UP: i64 = 2 * DAY;

/// The demo centre at work on a desk: the console steps it by real time.
pub struct Centre {
    world: World,
}

impl Centre {
    /// Fills an empty demo store's desk with `days` of history ending at `now_ms`, and goes on
    /// from there. Returns a one-paragraph summary of the history too.
    pub fn start(
        desk: &mut Desk,
        clock: ManualClock,
        days: u32,
        seed: u64,
        now_ms: i64,
    ) -> Result<(Centre, String), DeskError> {
        Centre::start_in(desk, clock, days, seed, now_ms, Vec::new())
    }

    /// As [`Centre::start`], with the calls at `town`'s places (`places::towns::call_places`).
    pub fn start_in(
        desk: &mut Desk,
        clock: ManualClock,
        days: u32,
        seed: u64,
        now_ms: i64,
        town: Vec<String>,
    ) -> Result<(Centre, String), DeskError> {
        if desk.event_count() > 0 {
            return Err(Refusal(format!(
                "the demo store already holds {} events; the demo fills only an empty store",
                desk.event_count()
            ))
            .into());
        }
        let start = now_ms - i64::from(days) * DAY;
        clock.set(start);
        let mut world = World::new(seed, clock, now_ms, true);
        world.town = town;
        for line in World::missing_roster(desk.state()) {
            world.run(desk, &line)?;
        }
        world.take_roster(desk.state(), start);
        if world.in_service(start) {
            world.plan_breaks(start);
        } else {
            for u in 0..world.teams.len() {
                let line = format!("oos {} off duty", world.teams[u].callsign);
                world.run(desk, &line)?;
                world.teams[u].duty = Duty::Off;
            }
        }
        world.plan_days(start);
        world.plan_the_opening();
        world.advance_to(desk, now_ms)?;
        let summary = summarize(desk.state(), desk.event_count(), &world, days);
        Ok((Centre::live(world), summary))
    }

    /// Takes up a demo store that already holds history: the teams and calls as the log left
    /// them, the time since it was last open played through (up to two days), and on from
    /// `now_ms`.
    pub fn resume(
        desk: &mut Desk,
        clock: ManualClock,
        seed: u64,
        now_ms: i64,
    ) -> Result<Centre, DeskError> {
        Centre::resume_in(desk, clock, seed, now_ms, Vec::new())
    }

    /// As [`Centre::resume`], with the new calls at `town`'s places.
    pub fn resume_in(
        desk: &mut Desk,
        clock: ManualClock,
        seed: u64,
        now_ms: i64,
        town: Vec<String>,
    ) -> Result<Centre, DeskError> {
        let state = desk.state();
        let last = last_change(state).unwrap_or(now_ms);
        let from = last.max(now_ms - CATCH_UP).min(now_ms);
        clock.set(from);
        // Each opening goes its own way, the same for the same moment.
        let mut world = World::new(seed ^ from as u64, clock, now_ms, false);
        world.town = town;
        for line in World::missing_roster(desk.state()) {
            world.run(desk, &line)?;
        }
        let state = desk.state().clone();
        world.take_roster(&state, from);
        for call in state.calls.values().filter(|c| c.is_open()) {
            let mut plan = world.plan(
                town::Kind::of(call.call_type),
                call.zone.clone(),
                call.priority.get(),
                call.received_ms,
                true,
            );
            if let Some(told) = World::told(call) {
                plan.disposition = told;
                // Its backup, if it asked for one, is asked already.
                plan.police_backup = false;
                plan.noted = true;
            }
            plan.joint = call.response_type() == Some(crate::domain::ResponseType::CoResponse);
            world.plans.insert(call.id.clone(), plan);
            if call.active_units().next().is_none() {
                let at = from + between_s(&mut world.rng, 5, 60);
                world.book(at, Ev::Ready(call.id.clone()));
            }
        }
        for u in 0..world.teams.len() {
            let Some(unit) = state
                .units
                .values()
                .find(|x| x.callsign.as_str() == world.teams[u].callsign)
            else {
                continue;
            };
            match (unit.status, world.teams[u].duty) {
                (UnitStatus::OutOfService, Duty::Break) => {
                    let back = (unit.status_ms + 30 * MINUTE).max(from);
                    world.book(back, Ev::BreakEnd(u));
                }
                (status, _) if status.is_committed() => {
                    world.moved(unit.status_ms, from, &state, u, status, unit.call.as_ref());
                }
                _ => {}
            }
        }
        if world.in_service(from) {
            world.plan_breaks(from);
            if world.teams.iter().any(|t| t.duty == Duty::Off) {
                world.book(from, Ev::ShiftStart);
            }
        }
        world.plan_days(from);
        world.advance_to(desk, now_ms)?;
        Ok(Centre::live(world))
    }

    fn live(mut world: World) -> Centre {
        // What happened before the console opened is history, not news.
        world.news = News::default();
        Centre { world }
    }

    /// How many command lines the centre has run.
    pub fn commands(&self) -> u64 {
        self.world.commands
    }
}

impl crate::sim::World for Centre {
    fn now_ms(&self) -> i64 {
        self.world.now_ms()
    }

    fn advance_to(&mut self, desk: &mut Desk, ms: i64) -> Result<(), SimError> {
        self.world.advance_to(desk, ms).map_err(|e| match e {
            DeskError::Store(e) => SimError::Store(e),
            other => SimError::Refused(other.to_string()),
        })
    }

    fn follow(&mut self, desk: &Desk, events: &[Event]) {
        let now = self.world.now_ms();
        self.world.absorb(now, desk.state(), events, true);
    }

    fn take_news(&mut self) -> News {
        std::mem::take(&mut self.world.news)
    }
}

/// Fills `store` (which must be empty) with `days` of history ending at `now_ms`, driving a
/// desk with command lines. Returns a one-paragraph summary.
pub fn fill(store: Store, days: u32, seed: u64, now_ms: i64) -> Result<String, DeskError> {
    fill_in(store, days, seed, now_ms, None)
}

/// As [`fill`], with the calls at the real places of `town`, placed on it as they are taken.
pub fn fill_in(
    store: Store,
    days: u32,
    seed: u64,
    now_ms: i64,
    town: Option<&crate::places::Gazetteer>,
) -> Result<String, DeskError> {
    if store.event_count() > 0 {
        return Err(Refusal(format!(
            "{} already holds {} events; the demo fills only an empty store",
            store.dir().display(),
            store.event_count()
        ))
        .into());
    }
    let start = now_ms - i64::from(days) * DAY;
    let clock = ManualClock::at(start);
    // A bulk fill: one checkpoint at the end, not one every few hundred events.
    let mut desk = Desk::open(store, Box::new(clock.clone()), people::operator_at(start))?
        .with_gazetteer(town.cloned())
        .with_checkpoint_every(None);
    let places = town
        .map(crate::places::towns::call_places)
        .unwrap_or_default();
    let (_, summary) = Centre::start_in(&mut desk, clock, days, seed, now_ms, places)?;
    desk.close()?;
    Ok(summary)
}

/// When the log last changed, as far as the open state tells: a unit's status or check-in,
/// an open call's arrival or note.
fn last_change(state: &State) -> Option<i64> {
    let units = state
        .units
        .values()
        .flat_map(|u| [Some(u.status_ms), u.checkin_ms].into_iter().flatten());
    let calls = state
        .calls
        .values()
        .filter(|c| c.is_open())
        .flat_map(|c| std::iter::once(c.received_ms).chain(c.notes.iter().map(|n| n.wall_ms)));
    units.chain(calls).max()
}

fn summarize(state: &State, events: u64, world: &World, days: u32) -> String {
    let calls = state.calls.len();
    let open = state.calls.values().filter(|c| c.is_open()).count();
    let pending = state
        .calls
        .values()
        .filter(|c| c.status == crate::domain::CallStatus::Pending)
        .count();
    let committed = state
        .units
        .values()
        .filter(|u| u.status.is_committed())
        .count();
    let oos = state
        .units
        .values()
        .filter(|u| u.status == UnitStatus::OutOfService)
        .count();
    let operators: Vec<&str> = world.operators.iter().copied().collect();
    format!(
        "{days} day{}: {} calls ({} closed, {} open), {} units, {} events from {} commands by \
         {}; now {pending} call{} pending, {committed} of {} units working calls, {oos} out of \
         service",
        if days == 1 { "" } else { "s" },
        thousands(calls as u64),
        thousands((calls - open) as u64),
        thousands(open as u64),
        state.units.len(),
        thousands(events),
        thousands(world.commands),
        operators.join(", "),
        if pending == 1 { "" } else { "s" },
        state.units.len(),
    )
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds into the UTC day.
fn time_of_day(t: i64) -> i64 {
    t.rem_euclid(DAY)
}

fn in_hours(t: i64) -> bool {
    (SERVICE_START..SERVICE_END).contains(&time_of_day(t))
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn pick_weighted(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn between_s(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    rng.random_range(lo * SECOND..=hi * SECOND)
}

#[cfg(test)]
mod tests;
