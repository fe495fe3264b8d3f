//! A realistic synthetic history for trying the product and for benchmarks.
//!
//! The generator simulates a STAR-sized community response program (see
//! `shared/field-data.md`): eight two-person teams in six Denver-like zones, on duty 06:00–22:00
//! UTC, about 30 eligible calls per service day arriving as a Poisson process, plus a few calls
//! that arrive outside service hours or need police or EMS instead. It drives a real [`Desk`]
//! with command lines only — the same language a dispatcher types — so every event is planned
//! by the domain and committed through the store like any other.
//!
//! The simulation keeps its own small model of who is free and which call waits, and processes
//! its agenda in time order, setting a [`ManualClock`] before each command so the log is in
//! non-decreasing wall-clock order. The history ends at `now_ms` with a live picture: the last
//! two hours are always in service (an extended shift when `now_ms` falls at night) and busier
//! than usual, and the last few calls are still waiting, so the console looks alive.
//!
//! Everything random comes from one seeded [`StdRng`] and the agenda is processed in a fixed
//! order, so the same seed, days and `now_ms` give the same command lines (call ids aside: they
//! carry the store's random replica tag).

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};
use std::fmt::Write as _;
use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal};

use crate::desk::{Desk, DeskError, ManualClock};
use crate::domain::safety::needs_unserved_reason;
use crate::domain::{
    Agency, Body, CallId, CallType, Disposition, Event, Refusal, UnitStatus, UnservedReason,
};
use crate::store::{Store, StoreKind};

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Service hours, as offsets into the UTC day.
const SERVICE_START: i64 = 6 * HOUR;
const SERVICE_END: i64 = 22 * HOUR;
/// The last stretch before `now_ms` is always in service, so the console opens on a live board.
const LIVE_WINDOW: i64 = 2 * HOUR;
/// ... and busier than usual for its last part.
const SURGE_WINDOW: i64 = 90 * MINUTE;
const SURGE_FACTOR: f64 = 1.8;

/// Eligible calls per 16-hour service day (STAR 2023, field-data.md).
const ELIGIBLE_PER_SERVICE_DAY: f64 = 30.0;
/// Calls screened out during service hours: weapons, violence, medical emergencies.
const SCREENED_PER_SERVICE_DAY: f64 = 1.5;
/// Calls of eligible types arriving while the teams are off duty, per 8-hour night.
const OFF_HOURS_PER_NIGHT: f64 = 4.0;
/// Share of eligible calls on which the team asks for police backup (CAHOOTS 2019: 0.6%).
const POLICE_BACKUP_SHARE: f64 = 0.006;

/// Relative call volume per service hour (06:00 ... 21:00); averages 1.
const DIURNAL: [f64; 16] = [
    0.5, 0.7, 0.9, 1.0, 1.1, 1.2, 1.2, 1.2, 1.2, 1.15, 1.1, 1.1, 1.0, 0.95, 0.9, 0.8,
];

/// Dispatchers; each takes an 8-hour console shift in turn.
const OPERATORS: &[&str] = &[
    "ct-rivera",
    "ct-okafor",
    "ct-nguyen",
    "ct-haddad",
    "ct-lindqvist",
];
const CONSOLE_SHIFT: i64 = 8 * HOUR;
/// The console changes hands every shift only this far back; before that weekly, and before
/// [`WEEKLY_HANDOVERS_FOR`] every four weeks. Each hand-over reopens the desk, which re-reads
/// and verifies the whole log (about 0.4 s at a year's 100,000 events), so a long history
/// keeps their number bounded.
const SHIFT_HANDOVERS_FOR: i64 = 3 * DAY;
const WEEKLY_HANDOVERS_FOR: i64 = 8 * 7 * DAY;

/// The roster: callsign, capabilities, home zone.
const ROSTER: &[(&str, &str, usize)] = &[
    ("STAR-1", "clinician,medic", 5),
    ("STAR-2", "clinician,medic", 5),
    ("STAR-3", "clinician,medic", 0),
    ("STAR-4", "clinician,emt", 1),
    ("STAR-5", "clinician,medic", 2),
    ("STAR-6", "peer,emt", 3),
    ("STAR-7", "clinician,medic", 4),
    ("STAR-8", "peer,emt", 1),
];

struct Zone {
    name: &'static str,
    /// Relative share of calls.
    weight: f64,
    streets: &'static [&'static str],
    places: &'static [&'static str],
}

const ZONES: &[Zone] = &[
    Zone {
        name: "d1",
        weight: 12.0,
        streets: &[
            "W 38th Ave",
            "Federal Blvd",
            "Tennyson St",
            "W 44th Ave",
            "Sheridan Blvd",
            "Lowell Blvd",
            "W 32nd Ave",
        ],
        places: &[
            "Sloan's Lake Park, W 17th Ave & Sheridan Blvd",
            "Rocky Mountain Lake Park",
            "Federal Blvd & W 38th Ave bus stop",
            "Highland Square, W 32nd Ave & Lowell Blvd",
            "Sunnyside, W 44th Ave & Navajo St",
        ],
    },
    Zone {
        name: "d2",
        weight: 15.0,
        streets: &[
            "Welton St",
            "E 28th Ave",
            "Downing St",
            "Martin Luther King Jr Blvd",
            "York St",
            "E 40th Ave",
            "Colorado Blvd",
        ],
        places: &[
            "Five Points, 27th St & Welton St",
            "30th & Downing light rail station",
            "City Park, E 17th Ave & York St",
            "Globeville, E 45th Ave & Washington St",
            "Curtis Park, 31st St & Champa St",
        ],
    },
    Zone {
        name: "d3",
        weight: 13.0,
        streets: &[
            "S Broadway",
            "E Evans Ave",
            "S University Blvd",
            "E Alameda Ave",
            "S Colorado Blvd",
            "E Yale Ave",
            "S Downing St",
        ],
        places: &[
            "Washington Park boathouse",
            "Cherry Creek Trail at S University Blvd",
            "Evans light rail station",
            "Colorado Station, S Colorado Blvd & E Evans Ave",
            "Baker, S Broadway & W Alameda Ave",
        ],
    },
    Zone {
        name: "d4",
        weight: 13.0,
        streets: &[
            "S Federal Blvd",
            "W Alameda Ave",
            "W Mississippi Ave",
            "S Sheridan Blvd",
            "W Evans Ave",
            "Morrison Rd",
            "W Jewell Ave",
        ],
        places: &[
            "Westwood, Morrison Rd & S Perry St",
            "Ruby Hill Park",
            "Alameda light rail station",
            "Barnum Park, W 6th Ave & Knox Ct",
            "S Federal Blvd & W Mississippi Ave bus stop",
        ],
    },
    Zone {
        name: "d5",
        weight: 11.0,
        streets: &[
            "E 47th Ave",
            "Peoria St",
            "Tower Rd",
            "Chambers Rd",
            "Albrook Dr",
            "Andrews Dr",
            "Green Valley Ranch Blvd",
        ],
        places: &[
            "Montbello Recreation Center",
            "Peoria light rail station",
            "Green Valley Ranch Blvd & Tower Rd",
            "40th & Airport Blvd station",
            "Montbello Open Space Park",
        ],
    },
    Zone {
        name: "d6",
        weight: 36.0,
        streets: &[
            "E Colfax Ave",
            "Broadway",
            "Lincoln St",
            "Champa St",
            "Lawrence St",
            "N Grant St",
            "E 13th Ave",
            "Larimer St",
        ],
        places: &[
            "Civic Center Park",
            "Union Station, 1701 Wynkoop St",
            "Denver Central Library, 10 W 14th Ave Pkwy",
            "16th St Mall & Champa St",
            "Civic Center Station, Broadway & E Colfax Ave",
            "Cheesman Park pavilion",
            "Skyline Park, 16th St & Arapahoe St",
            "E Colfax Ave & N Pennsylvania St",
            "Benedict Fountain Park",
        ],
    },
];

/// What a call is about, in the published mix of eligible calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Welfare,
    Unsheltered,
    Bh,
    Suicidal,
    Intox,
    Transport,
    Other,
}

/// Kind, share of eligible calls (per cent), call types, natures.
const MIX: &[(Kind, f64, &[CallType], &[&str])] = &[
    (
        Kind::Welfare,
        35.0,
        &[CallType::Welfare],
        &[
            "elderly man sitting outside for hours, seems confused",
            "woman lying on sidewalk, responsive but will not get up",
            "caller worried about neighbour, not seen in three days",
            "man in light clothing outside in the cold, appears disoriented",
            "young adult crying alone, caller concerned",
            "person slumped in parked car, breathing",
            "older woman wandering in traffic median, may have dementia",
            "man talking to himself, pacing, not aggressive",
            "parent asks for a check on adult daughter who stopped answering her phone",
            "person in a doorway for hours, not responding to staff",
        ],
    ),
    (
        Kind::Unsheltered,
        25.0,
        &[CallType::Unsheltered],
        &[
            "person sleeping in business doorway, owner asks for help",
            "man with belongings blocking building entrance, asking for shelter",
            "woman and child need a place to stay tonight",
            "person camping nearby asking for blankets and water",
            "person sleeping on a bench, asks for resources",
            "man sheltering in a stairwell",
            "person asking for a shelter bed after hospital discharge",
            "couple with a dog sleeping at a building entrance",
            "person in wet clothes and no shoes asking for help",
        ],
    ),
    (
        Kind::Bh,
        14.0,
        &[CallType::BhCrisis],
        &[
            "man yelling at passers-by, talking to unseen people, no weapons",
            "adult son in mental-health crisis, parents ask for help, no weapons in home",
            "woman says voices are telling her to leave her apartment",
            "person pacing in lobby, agitated, says people are following him",
            "client off medication, increasingly paranoid, family on scene",
            "man undressing in public, appears to be in psychosis",
            "teen having a panic attack, friend with her",
            "woman screaming in apartment hallway, neighbours concerned",
        ],
    ),
    (
        Kind::Suicidal,
        6.0,
        &[CallType::Suicidal],
        &[
            "friend texting that she wants to end her life, no means reported",
            "man on bench says he wants to die, no weapons seen",
            "woman says she cannot go on, alone at home, no means",
            "veteran with thoughts of suicide asks for someone in person",
            "student expressing suicidal thoughts, roommate with him",
            "man sitting alone crying, says he feels hopeless",
        ],
    ),
    (
        Kind::Intox,
        10.0,
        &[CallType::Intox],
        &[
            "man highly intoxicated, stumbling near traffic",
            "woman asleep on bench, breathing, smells of alcohol",
            "intoxicated man refusing to leave a business",
            "person intoxicated, unable to stand",
            "man drinking outside, fell and has a minor scrape",
            "intoxicated woman asking for help getting home",
        ],
    ),
    (
        Kind::Transport,
        5.0,
        &[CallType::Transport],
        &[
            "needs a ride to shelter after hospital discharge",
            "client asks for transport to detox",
            "man asks for a ride to the crisis walk-in centre",
            "woman needs a ride to shelter intake before it closes",
            "non-emergency ride to sobering centre, cooperative",
        ],
    ),
    (
        Kind::Other,
        5.0,
        &[
            CallType::Disorder,
            CallType::Trespass,
            CallType::Assist,
            CallType::Drugs,
            CallType::Noise,
            CallType::Sick,
        ],
        &[],
    ),
];

/// Natures of the "other" call types.
const OTHER_NATURES: &[(CallType, &[&str])] = &[
    (
        CallType::Disorder,
        &[
            "man shouting in store, refusing to leave, no weapons",
            "person banging on windows of a closed business",
        ],
    ),
    (
        CallType::Trespass,
        &[
            "person sleeping in apartment stairwell, residents ask for help",
            "man inside closed laundromat after hours",
        ],
    ),
    (
        CallType::Assist,
        &[
            "lost older man asking for directions home",
            "woman locked out with no phone, needs to reach family",
        ],
    ),
    (
        CallType::Drugs,
        &[
            "person using in a public restroom, wants to talk about treatment",
            "man with used needles asks for clean supplies",
        ],
    ),
    (
        CallType::Noise,
        &["man playing loud music outside, appears unwell"],
    ),
    (
        CallType::Sick,
        &[
            "person with swollen feet asking for a medical check",
            "man with cough and fever asking for help",
        ],
    ),
];

/// Calls the call-taker screens out: type, nature, who takes them, the dispatcher's note.
const SCREENED: &[(CallType, &str, Disposition, &str)] = &[
    (
        CallType::Weapon,
        "man waving a knife at passers-by",
        Disposition::PoliceNeeded,
        "screened out, weapon reported: DPD dispatched, STAR not sent",
    ),
    (
        CallType::Fight,
        "two men fighting outside a bar",
        Disposition::PoliceNeeded,
        "screened out, violence in progress: DPD dispatched",
    ),
    (
        CallType::Threats,
        "man threatening to hurt his roommate",
        Disposition::PoliceNeeded,
        "screened out, threat of harm: DPD with co-responder clinician",
    ),
    (
        CallType::Overdose,
        "person not breathing, bystander giving naloxone",
        Disposition::EmsNeeded,
        "medical emergency: Denver Health paramedics dispatched, STAR not sent",
    ),
    (
        CallType::Unconscious,
        "woman unresponsive on sidewalk",
        Disposition::EmsNeeded,
        "medical emergency: DFD and Denver Health paramedics dispatched",
    ),
    (
        CallType::SuicideAttempt,
        "caller says her brother took a bottle of pills",
        Disposition::EmsNeeded,
        "imminent risk: EMS and DPD dispatched, 988 follow-up requested",
    ),
];

const DISPOSITIONS: [Disposition; 9] = [
    Disposition::Resolved,
    Disposition::CommunityTransport,
    Disposition::Hospital,
    Disposition::Declined,
    Disposition::Gone,
    Disposition::EmsNeeded,
    Disposition::Referred988,
    Disposition::FollowUp,
    Disposition::Cancelled,
];

/// Disposition weights per kind, in the order of [`DISPOSITIONS`]. Overall about 40% resolved
/// on scene, 12% to a community location, 12% to hospital (B-HEARD, 2022); gone and declined as
/// in Albuquerque; EMS rare. Police-needed comes only from a backup request.
fn disposition_weights(kind: Kind) -> [f64; 9] {
    match kind {
        Kind::Welfare => [46.0, 6.0, 8.0, 8.0, 14.0, 2.0, 4.0, 10.0, 2.0],
        Kind::Unsheltered => [40.0, 20.0, 4.0, 14.0, 10.0, 1.0, 1.0, 8.5, 1.5],
        Kind::Bh => [38.0, 8.0, 18.0, 5.0, 5.0, 2.0, 12.0, 11.0, 1.0],
        Kind::Suicidal => [30.0, 6.0, 28.0, 3.0, 4.0, 2.0, 17.0, 10.0, 0.0],
        Kind::Intox => [30.0, 30.0, 18.0, 6.0, 8.0, 5.0, 0.0, 2.0, 1.0],
        Kind::Transport => [8.0, 58.0, 28.0, 2.0, 2.0, 0.0, 0.0, 0.0, 2.0],
        Kind::Other => [52.0, 6.0, 4.0, 10.0, 14.0, 2.0, 2.0, 8.0, 2.0],
    }
}

const INTAKE_NOTES: &[&str] = &[
    "RP will meet the team at the front desk",
    "caller says the person has been there over two hours",
    "no weapons seen per caller",
    "person known to STAR from prior contacts",
    "caller describes male, 40s, grey jacket",
    "caller describes female, 30s, red backpack",
    "RP prefers no police presence",
    "Spanish speaker; team to use the interpreter line",
    "caller is staying on scene until the team arrives",
];

fn scene_notes(d: Disposition) -> &'static [&'static str] {
    match d {
        Disposition::Resolved => &[
            "spoke with client, calmer now, no further needs",
            "provided water, snacks and a bus pass",
            "de-escalated; client agreed to stay with a friend",
            "connected client with case manager by phone",
            "helped client reach family, family on the way",
        ],
        Disposition::CommunityTransport => &[
            "client agrees to go to shelter",
            "client accepts a ride to sobering centre",
            "client wants to go to the crisis walk-in centre",
        ],
        Disposition::Hospital => &[
            "vitals abnormal, client agrees to evaluation",
            "client asks for a psychiatric evaluation",
            "wound needs care, client agrees to go to the ER",
        ],
        Disposition::Declined => &[
            "resources offered, client declined",
            "client declined services; not a danger to self or others",
        ],
        Disposition::Gone => &[
            "UTL: area checked, no one matching the description",
            "gone on arrival, checked surrounding blocks",
        ],
        Disposition::Referred988 => &[
            "client connected with a 988 counsellor by phone",
            "safety plan made; client will call 988 if it gets worse",
        ],
        Disposition::FollowUp => &[
            "follow-up visit scheduled with case manager",
            "follow-up scheduled for tomorrow morning",
        ],
        Disposition::EmsNeeded => &[
            "client's condition worsening, requesting EMS",
            "possible head injury, EMS requested",
        ],
        Disposition::PoliceNeeded => {
            &["client became hostile; team stepped back and asked for DPD"]
        }
        Disposition::Cancelled => &["RP called back: person has left, cancel"],
    }
}

const COMMUNITY_DESTINATIONS: &[&str] = &[
    "Denver CARES sobering centre",
    "Crossroads shelter, 1901 29th St",
    "Samaritan House shelter, 2301 Lawrence St",
    "WellPower walk-in crisis centre",
    "St Francis Center, 2323 Curtis St",
    "Delores Project women's shelter",
];

const HOSPITALS: &[&str] = &[
    "Denver Health Medical Center",
    "Saint Joseph Hospital",
    "Presbyterian St Luke's Medical Center",
    "Rose Medical Center",
    "Rocky Mountain VA Medical Center",
];

const BREAKS: &[(&str, i64)] = &[
    ("meal break", 30),
    ("restock and fuel", 20),
    ("vehicle check", 15),
    ("debrief after call", 20),
];

const FIRST_NAMES: &[&str] = &[
    "Maria", "James", "Aisha", "Luis", "Jordan", "Hannah", "Daniel", "Mei", "Carlos", "Fatima",
    "Ethan", "Rosa", "Tyrone", "Olga", "Samir", "Grace", "Diego", "Keisha", "Tom", "Ana",
];
const INITIALS: &str = "ABCDEFGHJKLMNPRSTVWY";
const CALLER_ROLES: &[&str] = &[
    "store manager",
    "RTD security",
    "library staff",
    "neighbour",
    "building manager",
    "hotel front desk",
    "bystander",
    "family member",
];

/// Why a call is on the agenda.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arrival {
    /// In service hours and eligible: a team goes.
    Eligible,
    /// In service hours but for police or EMS.
    Screened,
    /// Eligible, but no team is on duty.
    OffHours,
    /// One of the last calls: still waiting for a team at `now_ms`.
    Held,
}

/// The answers a call-taker gets on a call a community team can take.
const TRIAGE_CLEAR: [&str; 7] = [
    "violence no",
    "weapon no",
    "crime no",
    "medical no",
    "hazard no",
    "harm no",
    "info yes",
];

#[derive(Clone, Debug)]
enum Ev {
    Rotate(&'static str),
    Arrive(Arrival),
    Ready(usize),
    Dispatch {
        call: usize,
        unit: usize,
    },
    EnRoute(usize),
    OnScene(usize),
    /// The call-taker walks the protocol: nothing dangerous, enough to go on.
    Triage {
        id: String,
    },
    /// A team on scene checks in safe (every 12–18 minutes, inside the 20-minute timer).
    CheckIn(usize),
    Cancel(usize),
    Transport(usize),
    AtFacility(usize),
    Clear(usize),
    Note {
        id: String,
        text: String,
    },
    Backup {
        call: usize,
        agency: Agency,
    },
    Close {
        id: String,
        disposition: Disposition,
        /// Why an eligible call got no team, as the reason code `close --unserved` records.
        unserved: Option<UnservedReason>,
    },
    ShiftStart,
    ShiftEnd,
    OnDuty(usize),
    BreakDue(usize),
    BreakEnd(usize),
}

struct Scheduled {
    at: i64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    /// Reversed, so the max-heap pops the earliest (then first scheduled) item.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Duty {
    Off,
    Free {
        since: i64,
    },
    /// Reserved for or working a call (index into `World::calls`).
    Busy(usize),
    Break,
}

struct SimUnit {
    callsign: &'static str,
    capabilities: &'static str,
    zone: usize,
    duty: Duty,
    /// Goes off duty when it clears its call.
    off_when_clear: bool,
    /// Takes this break when it clears its call.
    break_when_clear: Option<(&'static str, i64)>,
}

struct SimCall {
    id: String,
    kind: Kind,
    zone: usize,
    priority: u8,
    received: i64,
    disposition: Disposition,
    police_backup: bool,
    unit: Option<usize>,
}

/// The desk, the clock that drives it, and the hand-overs between operators.
struct Console {
    desk: Desk,
    clock: ManualClock,
    dir: PathBuf,
    kind: StoreKind,
    last_ms: i64,
    commands: u64,
    operators: BTreeSet<&'static str>,
}

impl Console {
    fn run(&mut self, at: i64, line: &str) -> Result<Vec<Event>, DeskError> {
        debug_assert!(at >= self.last_ms, "demo commands must go forward in time");
        self.last_ms = at;
        self.clock.set(at);
        self.commands += 1;
        self.desk.execute_line(line).map_err(|e| match e {
            DeskError::Refused(Refusal(why)) => DeskError::Refused(Refusal(format!(
                "demo generator: `{line}` was refused: {why}"
            ))),
            other => other,
        })
    }

    /// The next dispatcher takes the console: the desk stamps its operator on every event.
    fn hand_over(self, operator: &'static str) -> Result<Console, DeskError> {
        let Console {
            desk,
            clock,
            dir,
            kind,
            last_ms,
            commands,
            mut operators,
        } = self;
        if desk.operator() == operator {
            return Ok(Console {
                desk,
                clock,
                dir,
                kind,
                last_ms,
                commands,
                operators,
            });
        }
        desk.close()?;
        let store = Store::open(&dir, kind)?;
        let desk = Desk::open(store, Box::new(clock.clone()), operator)?;
        operators.insert(operator);
        Ok(Console {
            desk,
            clock,
            dir,
            kind,
            last_ms,
            commands,
            operators,
        })
    }
}

/// The simulation: who is free, which calls wait, and what happens next.
struct World {
    rng: StdRng,
    now_ms: i64,
    agenda: BinaryHeap<Scheduled>,
    seq: u64,
    units: Vec<SimUnit>,
    calls: Vec<SimCall>,
    /// Calls ready for a team and not yet given one.
    waiting: Vec<usize>,
}

/// Fills `store` (which must be empty) with `days` of history ending at `now_ms`, driving a
/// desk with command lines. Returns a one-paragraph summary.
pub fn fill(store: Store, days: u32, seed: u64, now_ms: i64) -> Result<String, DeskError> {
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
    let dir = store.dir().to_owned();
    let kind = store.kind();
    let first = operator_at(start, now_ms);
    let desk = Desk::open(store, Box::new(clock.clone()), first)?;
    let mut console = Console {
        desk,
        clock,
        dir,
        kind,
        last_ms: start,
        commands: 0,
        operators: BTreeSet::from([first]),
    };
    let mut world = World::new(seed, start, now_ms);
    world.set_up(&mut console, start)?;
    while let Some(next) = world.agenda.pop() {
        if next.at > now_ms {
            break;
        }
        match next.ev {
            Ev::Rotate(op) => console = console.hand_over(op)?,
            ev => world.handle(&mut console, next.at, ev)?,
        }
    }
    let summary = summarize(&console, days);
    console.desk.close()?;
    Ok(summary)
}

fn summarize(console: &Console, days: u32) -> String {
    let state = console.desk.state();
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
        .filter(|u| u.status == crate::domain::UnitStatus::OutOfService)
        .count();
    let operators: Vec<&str> = console.operators.iter().copied().collect();
    format!(
        "{days} day{}: {} calls ({} closed, {} open), {} units, {} events from {} commands by \
         {}; now {pending} call{} pending, {committed} of {} units working calls, {oos} out of \
         service",
        if days == 1 { "" } else { "s" },
        thousands(calls as u64),
        thousands((calls - open) as u64),
        thousands(open as u64),
        state.units.len(),
        thousands(console.desk.event_count()),
        thousands(console.commands),
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

/// Who has the console at `t`: a rota of 8-hour shifts starting 06:00, 14:00 and 22:00; of
/// weeks for history older than [`SHIFT_HANDOVERS_FOR`]; of four weeks before that. Every
/// change falls on a shift boundary.
fn operator_at(t: i64, now_ms: i64) -> &'static str {
    let since = t - SERVICE_START;
    let slot = if t >= now_ms - SHIFT_HANDOVERS_FOR {
        since.div_euclid(CONSOLE_SHIFT)
    } else if t >= now_ms - WEEKLY_HANDOVERS_FOR {
        since.div_euclid(7 * DAY) + 1
    } else {
        since.div_euclid(28 * DAY) + 2
    };
    OPERATORS[slot.rem_euclid(OPERATORS.len() as i64) as usize]
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

/// A lognormal duration with the given median (minutes), clamped, in milliseconds.
fn lognormal_ms(rng: &mut StdRng, median_min: f64, sigma: f64, min_min: f64, max_min: f64) -> i64 {
    let minutes = LogNormal::new(median_min.ln(), sigma).map_or(median_min, |d| d.sample(rng));
    (minutes.clamp(min_min, max_min) * MINUTE as f64) as i64
}

fn between_s(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    rng.random_range(lo * SECOND..=hi * SECOND)
}

impl World {
    fn new(seed: u64, start: i64, now_ms: i64) -> World {
        let units = ROSTER
            .iter()
            .map(|&(callsign, capabilities, zone)| SimUnit {
                callsign,
                capabilities,
                zone,
                duty: Duty::Free { since: start },
                off_when_clear: false,
                break_when_clear: None,
            })
            .collect();
        World {
            rng: StdRng::seed_from_u64(seed),
            now_ms,
            agenda: BinaryHeap::new(),
            seq: 0,
            units,
            calls: Vec::new(),
            waiting: Vec::new(),
        }
    }

    fn at(&mut self, at: i64, ev: Ev) {
        self.seq += 1;
        self.agenda.push(Scheduled {
            at,
            seq: self.seq,
            ev,
        });
    }

    /// In service: the published hours, and always the last stretch before now.
    fn in_service(&self, t: i64) -> bool {
        in_hours(t) || t >= self.now_ms - LIVE_WINDOW
    }

    /// The roster, the shift changes, the console rota and every call's arrival.
    fn set_up(&mut self, console: &mut Console, start: i64) -> Result<(), DeskError> {
        for &(callsign, capabilities, zone) in ROSTER {
            let line = format!(
                "unit add {callsign} {capabilities} --zone {}",
                ZONES[zone].name
            );
            console.run(start, &line)?;
        }
        if self.in_service(start) {
            self.plan_breaks(start);
        } else {
            for u in &mut self.units {
                console.run(start, &format!("oos {} off duty", u.callsign))?;
                u.duty = Duty::Off;
            }
        }
        // Shift changes: wherever being in service flips.
        let first_day = start.div_euclid(DAY) * DAY;
        let mut edges = vec![self.now_ms - LIVE_WINDOW];
        let mut day = first_day;
        while day <= self.now_ms {
            edges.extend([day + SERVICE_START, day + SERVICE_END]);
            day += DAY;
        }
        edges.sort_unstable();
        let now_ms = self.now_ms;
        for t in edges.into_iter().filter(|&t| t > start && t <= now_ms) {
            match (self.in_service(t - 1), self.in_service(t)) {
                (false, true) => self.at(t, Ev::ShiftStart),
                (true, false) => self.at(t, Ev::ShiftEnd),
                _ => {}
            }
        }
        // The console rota.
        let mut t = start - (start - SERVICE_START).rem_euclid(CONSOLE_SHIFT) + CONSOLE_SHIFT;
        while t <= self.now_ms {
            let op = operator_at(t, self.now_ms);
            if op != operator_at(t - 1, self.now_ms) {
                self.at(t, Ev::Rotate(op));
            }
            t += CONSOLE_SHIFT;
        }
        self.plan_arrivals(start);
        Ok(())
    }

    /// Poisson arrivals by thinning: eligible calls follow the diurnal curve in service hours
    /// (and surge at the end), screened calls come in service hours, off-hours calls at night.
    fn plan_arrivals(&mut self, start: i64) {
        let per_min = |per_day: f64, minutes: f64| per_day / minutes;
        let eligible = per_min(ELIGIBLE_PER_SERVICE_DAY, 960.0);
        let screened = per_min(SCREENED_PER_SERVICE_DAY, 960.0);
        let night = per_min(OFF_HOURS_PER_NIGHT, 480.0);
        let max_rate = eligible * 1.2 * SURGE_FACTOR + screened + night;
        let Ok(gap) = Exp::new(max_rate) else { return };
        let mut t = start as f64;
        loop {
            t += gap.sample(&mut self.rng) * MINUTE as f64;
            let at = t as i64;
            if at > self.now_ms {
                break;
            }
            let rates = if self.in_service(at) {
                let hour = (time_of_day(at) / HOUR) as usize;
                let diurnal = hour
                    .checked_sub(6)
                    .and_then(|h| DIURNAL.get(h))
                    .copied()
                    .unwrap_or(1.0);
                let surge = if at >= self.now_ms - SURGE_WINDOW {
                    SURGE_FACTOR
                } else {
                    1.0
                };
                [eligible * diurnal * surge, screened, 0.0]
            } else {
                [0.0, 0.0, night]
            };
            let x = self.rng.random::<f64>() * max_rate;
            let class = if x < rates[0] {
                Arrival::Eligible
            } else if x < rates[0] + rates[1] {
                Arrival::Screened
            } else if x < rates[0] + rates[1] + rates[2] {
                Arrival::OffHours
            } else {
                continue;
            };
            self.at(at, Ev::Arrive(class));
        }
        // Two calls in the last hour that teams are surely still working when the console
        // opens (unless the person is gone), and a few that still wait for one.
        for (from, to) in [(30 * 60, 50 * 60), (8 * 60, 20 * 60)] {
            let at = self.now_ms - between_s(&mut self.rng, from, to);
            self.at(at, Ev::Arrive(Arrival::Eligible));
        }
        // The last few calls wait: the board has a queue when the console opens.
        let held = self.rng.random_range(2..=3);
        for _ in 0..held {
            let at = self.now_ms - between_s(&mut self.rng, 20, 5 * 60);
            self.at(at, Ev::Arrive(Arrival::Held));
        }
    }

    /// Breaks for the units on duty, some time in the middle of the shift.
    fn plan_breaks(&mut self, from: i64) {
        for u in 0..self.units.len() {
            if self.rng.random_bool(0.7) {
                let at = from + between_s(&mut self.rng, 4 * 3600, 10 * 3600);
                self.at(at, Ev::BreakDue(u));
            }
        }
    }

    fn handle(&mut self, console: &mut Console, now: i64, ev: Ev) -> Result<(), DeskError> {
        match ev {
            Ev::Rotate(_) => {}
            Ev::Arrive(class) => self.arrive(console, now, class)?,
            Ev::Ready(c) => {
                if self.in_service(now) {
                    self.waiting.push(c);
                    self.assign(now);
                } else {
                    self.unserved(now, c, UnservedReason::OutsideHours);
                }
            }
            Ev::Dispatch { call, unit } => self.dispatch(console, now, call, unit)?,
            Ev::EnRoute(u) => {
                console.run(now, &format!("enr {}", self.units[u].callsign))?;
            }
            Ev::OnScene(u) => self.on_scene(console, now, u)?,
            Ev::Triage { id } => {
                let open = id.parse::<CallId>().ok().and_then(|c| {
                    console
                        .desk
                        .state()
                        .calls
                        .get(&c)
                        .map(crate::domain::Call::is_open)
                });
                if open == Some(true) {
                    for answer in TRIAGE_CLEAR {
                        console.run(now, &format!("ask {id} {answer}"))?;
                    }
                }
            }
            Ev::CheckIn(u) => {
                let callsign = self.units[u].callsign;
                let on_scene = console.desk.state().units.values().any(|unit| {
                    unit.callsign.as_str() == callsign && unit.status == UnitStatus::OnScene
                });
                if on_scene {
                    console.run(now, &format!("ok {callsign}"))?;
                    let next = now + between_s(&mut self.rng, 12 * 60, 18 * 60);
                    self.at(next, Ev::CheckIn(u));
                }
            }
            Ev::Cancel(u) => {
                let Duty::Busy(c) = self.units[u].duty else {
                    return Ok(());
                };
                let id = self.calls[c].id.clone();
                let text = pick(&mut self.rng, scene_notes(Disposition::Cancelled));
                console.run(now, &format!("note {id} {text}"))?;
                let back = now + between_s(&mut self.rng, 10, 60);
                self.at(back, Ev::Clear(u));
            }
            Ev::Transport(u) => {
                let Duty::Busy(c) = self.units[u].duty else {
                    return Ok(());
                };
                let dest = if self.calls[c].disposition == Disposition::Hospital {
                    pick(&mut self.rng, HOSPITALS)
                } else {
                    pick(&mut self.rng, COMMUNITY_DESTINATIONS)
                };
                console.run(now, &format!("trn {} {dest}", self.units[u].callsign))?;
                let ride = lognormal_ms(&mut self.rng, 10.0, 0.5, 4.0, 35.0);
                self.at(now + ride, Ev::AtFacility(u));
            }
            Ev::AtFacility(u) => {
                console.run(now, &format!("atf {}", self.units[u].callsign))?;
                let handover = lognormal_ms(&mut self.rng, 15.0, 0.5, 5.0, 45.0);
                self.at(now + handover, Ev::Clear(u));
            }
            Ev::Clear(u) => self.clear(console, now, u)?,
            Ev::Note { id, text } => {
                console.run(now, &format!("note {id} {text}"))?;
            }
            Ev::Backup { call, agency } => {
                let id = self.calls[call].id.clone();
                let events = console.run(now, &format!("backup {id} {agency}"))?;
                if let Some(child) = created(&events) {
                    let (disposition, after) = match agency {
                        Agency::Police => (
                            Disposition::PoliceNeeded,
                            between_s(&mut self.rng, 8 * 60, 25 * 60),
                        ),
                        _ => (
                            Disposition::EmsNeeded,
                            between_s(&mut self.rng, 10 * 60, 30 * 60),
                        ),
                    };
                    self.at(
                        now + after,
                        Ev::Close {
                            id: child,
                            disposition,
                            unserved: None,
                        },
                    );
                }
            }
            Ev::Close {
                id,
                disposition,
                unserved,
            } => {
                // An eligible call that waited past its limit needs a reason code; in this
                // world that is always that no team was free.
                let late = unserved.is_none()
                    && id
                        .parse::<CallId>()
                        .ok()
                        .and_then(|c| console.desk.state().calls.get(&c))
                        .is_some_and(|call| {
                            needs_unserved_reason(call, now, console.desk.policy())
                        });
                let line = match (unserved, late) {
                    (Some(reason), _) => format!("close {id} {disposition} --unserved {reason}"),
                    (None, true) => format!("close {id} {disposition} --unserved no-unit"),
                    (None, false) => format!("close {id} {disposition}"),
                };
                console.run(now, &line)?;
            }
            Ev::ShiftStart => {
                for u in 0..self.units.len() {
                    self.units[u].off_when_clear = false;
                    if self.units[u].duty == Duty::Off {
                        let stagger = between_s(&mut self.rng, 0, 12 * 60);
                        self.at(now + stagger, Ev::OnDuty(u));
                    }
                }
                self.plan_breaks(now);
            }
            Ev::OnDuty(u) => {
                if self.units[u].duty == Duty::Off && self.in_service(now) {
                    console.run(now, &format!("avl {}", self.units[u].callsign))?;
                    self.units[u].duty = Duty::Free { since: now };
                    self.assign(now);
                }
            }
            Ev::ShiftEnd => {
                for c in std::mem::take(&mut self.waiting) {
                    self.unserved(now, c, UnservedReason::NoUnit);
                }
                for u in 0..self.units.len() {
                    match self.units[u].duty {
                        Duty::Free { .. } => {
                            console
                                .run(now, &format!("oos {} off duty", self.units[u].callsign))?;
                            self.units[u].duty = Duty::Off;
                        }
                        Duty::Busy(_) => self.units[u].off_when_clear = true,
                        Duty::Break => self.units[u].duty = Duty::Off,
                        Duty::Off => {}
                    }
                }
            }
            Ev::BreakDue(u) => {
                let brk = *pick(&mut self.rng, BREAKS);
                match self.units[u].duty {
                    Duty::Free { .. } => self.take_break(console, now, u, brk)?,
                    Duty::Busy(_) => self.units[u].break_when_clear = Some(brk),
                    Duty::Off | Duty::Break => {}
                }
            }
            Ev::BreakEnd(u) => {
                if self.units[u].duty == Duty::Break {
                    console.run(now, &format!("avl {}", self.units[u].callsign))?;
                    self.units[u].duty = Duty::Free { since: now };
                    self.assign(now);
                }
            }
        }
        Ok(())
    }

    fn arrive(&mut self, console: &mut Console, now: i64, class: Arrival) -> Result<(), DeskError> {
        let rng = &mut self.rng;
        let zone = pick_weighted(rng, &ZONES.iter().map(|z| z.weight).collect::<Vec<_>>());
        let location = address(rng, &ZONES[zone]);
        let screened = (class == Arrival::Screened).then(|| *pick(rng, SCREENED));
        let (kind, call_type, nature) = if let Some((call_type, nature, _, _)) = screened {
            (Kind::Other, call_type, nature)
        } else {
            let k = pick_weighted(rng, &MIX.iter().map(|m| m.1).collect::<Vec<_>>());
            let (kind, _, types, natures) = MIX[k];
            let call_type = *pick(rng, types);
            let nature = if natures.is_empty() {
                let (_, natures) = OTHER_NATURES
                    .iter()
                    .find(|(t, _)| *t == call_type)
                    .copied()
                    .unwrap_or(OTHER_NATURES[0]);
                *pick(rng, natures)
            } else {
                *pick(rng, natures)
            };
            (kind, call_type, nature)
        };
        let mut line = format!(
            "call {location} / {nature} --type {call_type} --zone {}",
            ZONES[zone].name
        );
        let mut priority = call_type.default_priority().get();
        if priority == 3 && rng.random_bool(0.12) {
            priority = 2;
            line.push_str(" --pri 2");
        }
        match rng.random_range(0..10) {
            0 | 1 => {}
            2..=4 => {
                let role = pick(rng, CALLER_ROLES);
                let _ = write!(line, " --caller {role}");
            }
            _ => {
                let first = pick(rng, FIRST_NAMES);
                let initial = INITIALS.as_bytes()[rng.random_range(0..INITIALS.len())] as char;
                let _ = write!(line, " --caller {first} {initial}.");
            }
        }
        if rng.random_bool(0.85) {
            let _ = write!(line, " --cb 555-01{:02}", rng.random_range(0..100));
        }
        let events = console.run(now, &line)?;
        let Some(id) = created(&events) else {
            return Err(Refusal(format!("demo generator: `{line}` made no call")).into());
        };
        if let Some((_, _, disposition, text)) = screened {
            let note_at = now + between_s(rng, 40, 120);
            let close_at = note_at + between_s(rng, 30, 150);
            self.at(
                note_at,
                Ev::Note {
                    id: id.clone(),
                    text: text.to_owned(),
                },
            );
            self.at(
                close_at,
                Ev::Close {
                    id,
                    disposition,
                    unserved: None,
                },
            );
            return Ok(());
        }
        let triaged = now + between_s(&mut self.rng, 15, 60);
        self.at(triaged, Ev::Triage { id: id.clone() });
        let weights = disposition_weights(kind);
        let mut disposition = DISPOSITIONS[pick_weighted(&mut self.rng, &weights)];
        let police_backup = class == Arrival::Eligible && self.rng.random_bool(POLICE_BACKUP_SHARE);
        if police_backup && disposition != Disposition::Cancelled {
            disposition = if self.rng.random_bool(0.67) {
                Disposition::PoliceNeeded
            } else {
                Disposition::Resolved
            };
        }
        let c = self.calls.len();
        self.calls.push(SimCall {
            id: id.clone(),
            kind,
            zone,
            priority,
            received: now,
            disposition,
            police_backup,
            unit: None,
        });
        match class {
            Arrival::OffHours => {
                let at = now + between_s(&mut self.rng, 60, 180);
                self.unserved(at, c, UnservedReason::OutsideHours);
            }
            Arrival::Held => {
                if self.rng.random_bool(0.5) {
                    let text = pick(&mut self.rng, INTAKE_NOTES);
                    let at_later = now + between_s(&mut self.rng, 10, 25);
                    self.at(
                        at_later,
                        Ev::Note {
                            id,
                            text: (*text).to_owned(),
                        },
                    );
                }
            }
            _ => {
                if self.rng.random_bool(0.3) {
                    let text = pick(&mut self.rng, INTAKE_NOTES);
                    let at_later = now + between_s(&mut self.rng, 15, 80);
                    self.at(
                        at_later,
                        Ev::Note {
                            id,
                            text: (*text).to_owned(),
                        },
                    );
                }
                let median = if priority <= 2 { 0.75 } else { 1.25 };
                let delay = lognormal_ms(&mut self.rng, median, 0.6, 0.25, 8.0);
                self.at(now + delay, Ev::Ready(c));
            }
        }
        Ok(())
    }

    /// A call no team could take: outside service hours, or still waiting when they ended.
    fn unserved(&mut self, at: i64, c: usize, reason: UnservedReason) {
        let why = match reason {
            UnservedReason::NoUnit => "no STAR team free before service hours ended",
            _ => "outside STAR service hours (06:00 to 22:00)",
        };
        let (disposition, then) = match self.calls[c].kind {
            Kind::Bh | Kind::Suicidal => (Disposition::Referred988, "caller connected to 988"),
            Kind::Welfare if self.rng.random_bool(0.5) => {
                (Disposition::PoliceNeeded, "DPD to check welfare")
            }
            _ if self.rng.random_bool(0.6) => {
                (Disposition::FollowUp, "STAR to follow up after 06:00")
            }
            _ => (
                Disposition::Cancelled,
                "caller will call back if still needed",
            ),
        };
        let id = self.calls[c].id.clone();
        self.at(
            at,
            Ev::Note {
                id: id.clone(),
                text: format!("{why}; {then}"),
            },
        );
        let close_at = at + between_s(&mut self.rng, 20, 90);
        self.at(
            close_at,
            Ev::Close {
                id,
                disposition,
                unserved: Some(reason),
            },
        );
    }

    /// Gives waiting calls (most urgent, then oldest) to free units (home zone first, then the
    /// right skills, then the one free longest).
    fn assign(&mut self, now: i64) {
        loop {
            let Some(w) = (0..self.waiting.len()).min_by_key(|&i| {
                let c = &self.calls[self.waiting[i]];
                (c.priority, c.received)
            }) else {
                return;
            };
            let c = self.waiting[w];
            let call = &self.calls[c];
            let wants = match call.kind {
                Kind::Bh | Kind::Suicidal => "clinician",
                Kind::Intox | Kind::Transport => "medic",
                _ => "",
            };
            let best = self
                .units
                .iter()
                .enumerate()
                .filter_map(|(i, u)| match u.duty {
                    Duty::Free { since } => {
                        let zone = u8::from(u.zone != call.zone);
                        let skill = u8::from(!wants.is_empty() && !u.capabilities.contains(wants));
                        Some(((zone, skill, since, i), i))
                    }
                    _ => None,
                })
                .min();
            let Some((_, u)) = best else { return };
            self.waiting.swap_remove(w);
            self.units[u].duty = Duty::Busy(c);
            self.calls[c].unit = Some(u);
            // A call that waited for a team goes out a little after the team clears.
            let gap = if self.calls[c].received + 10 * MINUTE < now {
                between_s(&mut self.rng, 20, 90)
            } else {
                0
            };
            self.at(now + gap, Ev::Dispatch { call: c, unit: u });
        }
    }

    fn dispatch(
        &mut self,
        console: &mut Console,
        now: i64,
        c: usize,
        u: usize,
    ) -> Result<(), DeskError> {
        let callsign = self.units[u].callsign;
        let id = self.calls[c].id.clone();
        let en_route = if self.rng.random_bool(0.35) {
            console.run(now, &format!("de {callsign} {id}"))?;
            now
        } else {
            console.run(now, &format!("dp {callsign} {id}"))?;
            let at = now + between_s(&mut self.rng, 15, 120);
            self.at(at, Ev::EnRoute(u));
            at
        };
        let median = if self.units[u].zone == self.calls[c].zone {
            10.0
        } else {
            16.0
        };
        let travel = lognormal_ms(&mut self.rng, median, 0.5, 2.0, 75.0);
        if self.calls[c].disposition == Disposition::Cancelled {
            let at = en_route + (travel as f64 * self.rng.random_range(0.2..0.8)) as i64;
            self.at(at, Ev::Cancel(u));
        } else {
            self.at(en_route + travel, Ev::OnScene(u));
        }
        Ok(())
    }

    fn on_scene(&mut self, console: &mut Console, now: i64, u: usize) -> Result<(), DeskError> {
        console.run(now, &format!("ons {}", self.units[u].callsign))?;
        let first_check = now + between_s(&mut self.rng, 12 * 60, 18 * 60);
        self.at(first_check, Ev::CheckIn(u));
        let Duty::Busy(c) = self.units[u].duty else {
            return Ok(());
        };
        let disposition = self.calls[c].disposition;
        let id = self.calls[c].id.clone();
        let rng = &mut self.rng;
        let note = (*pick(rng, scene_notes(disposition))).to_owned();
        let mut later = Vec::new();
        let leave = if self.calls[c].police_backup {
            let ask = now + between_s(rng, 4 * 60, 20 * 60);
            later.push((
                ask,
                Ev::Note {
                    id: id.clone(),
                    text: scene_notes(Disposition::PoliceNeeded)[0].to_owned(),
                },
            ));
            later.push((
                ask + 30 * SECOND,
                Ev::Backup {
                    call: c,
                    agency: Agency::Police,
                },
            ));
            later.push((ask + lognormal_ms(rng, 25.0, 0.4, 10.0, 60.0), Ev::Clear(u)));
            None
        } else {
            match disposition {
                Disposition::Gone => {
                    let stay = between_s(rng, 3 * 60, 12 * 60);
                    later.push((
                        now + stay - 30 * SECOND,
                        Ev::Note {
                            id: id.clone(),
                            text: note,
                        },
                    ));
                    Some(now + stay)
                }
                Disposition::EmsNeeded => {
                    let ask = now + between_s(rng, 5 * 60, 15 * 60);
                    later.push((
                        ask,
                        Ev::Note {
                            id: id.clone(),
                            text: note,
                        },
                    ));
                    if rng.random_bool(0.7) {
                        later.push((
                            ask + 20 * SECOND,
                            Ev::Backup {
                                call: c,
                                agency: Agency::Ems,
                            },
                        ));
                    }
                    Some(ask + lognormal_ms(rng, 18.0, 0.4, 8.0, 45.0))
                }
                Disposition::CommunityTransport | Disposition::Hospital => {
                    let stay = lognormal_ms(rng, 32.0, 0.45, 10.0, 75.0);
                    later.push((
                        now + stay / 2,
                        Ev::Note {
                            id: id.clone(),
                            text: note,
                        },
                    ));
                    later.push((now + stay, Ev::Transport(u)));
                    None
                }
                _ => {
                    let median = if disposition == Disposition::Declined {
                        20.0
                    } else {
                        40.0
                    };
                    let stay = lognormal_ms(rng, median, 0.5, 10.0, 90.0);
                    if rng.random_bool(0.7) {
                        let at = now + (stay as f64 * rng.random_range(0.4..0.9)) as i64;
                        later.push((
                            at,
                            Ev::Note {
                                id: id.clone(),
                                text: note,
                            },
                        ));
                    }
                    Some(now + stay)
                }
            }
        };
        if let Some(at) = leave {
            later.push((at, Ev::Clear(u)));
        }
        for (at, ev) in later {
            self.at(at, ev);
        }
        Ok(())
    }

    /// The unit clears; the dispatcher closes the call a little later; the unit goes off duty,
    /// on a break, or back to the waiting calls.
    fn clear(&mut self, console: &mut Console, now: i64, u: usize) -> Result<(), DeskError> {
        let Duty::Busy(c) = self.units[u].duty else {
            return Ok(());
        };
        let callsign = self.units[u].callsign;
        console.run(now, &format!("avl {callsign}"))?;
        let close_at = now + between_s(&mut self.rng, 15, 150);
        self.at(
            close_at,
            Ev::Close {
                id: self.calls[c].id.clone(),
                disposition: self.calls[c].disposition,
                unserved: None,
            },
        );
        self.units[u].duty = Duty::Free { since: now };
        if std::mem::take(&mut self.units[u].off_when_clear) || !self.in_service(now) {
            self.units[u].break_when_clear = None;
            console.run(now, &format!("oos {callsign} off duty"))?;
            self.units[u].duty = Duty::Off;
            return Ok(());
        }
        if let Some(brk) = self.units[u].break_when_clear.take() {
            if self.in_service(now + (brk.1 + 10) * MINUTE) {
                return self.take_break(console, now, u, brk);
            }
        }
        self.assign(now);
        Ok(())
    }

    fn take_break(
        &mut self,
        console: &mut Console,
        now: i64,
        u: usize,
        (reason, minutes): (&str, i64),
    ) -> Result<(), DeskError> {
        if !self.in_service(now + (minutes + 10) * MINUTE) {
            return Ok(());
        }
        console.run(now, &format!("oos {} {reason}", self.units[u].callsign))?;
        self.units[u].duty = Duty::Break;
        let back = now + minutes * MINUTE + between_s(&mut self.rng, 0, 8 * 60);
        self.at(back, Ev::BreakEnd(u));
        Ok(())
    }
}

/// A street address, an intersection or a landmark in the zone.
fn address(rng: &mut StdRng, zone: &Zone) -> String {
    match rng.random_range(0..20) {
        0..=7 => (*pick(rng, zone.places)).to_owned(),
        8..=10 => {
            let a = pick(rng, zone.streets);
            let b = pick(rng, zone.streets);
            if a == b {
                format!("{} {a}", rng.random_range(1..50) * 100)
            } else {
                format!("{a} & {b}")
            }
        }
        _ => format!(
            "{} {}",
            rng.random_range(1..50) * 100 + rng.random_range(0..100),
            pick(rng, zone.streets)
        ),
    }
}

/// The id of the first call an event batch created.
fn created(events: &[Event]) -> Option<String> {
    events.iter().find_map(|e| match &e.body {
        Body::CallCreated { call, .. } => Some(call.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CallStatus, State, UnitStatus};

    /// 2026-09-21 14:13 UTC: inside service hours.
    const NOW: i64 = 1_790_000_000_000;

    fn run(days: u32, seed: u64, now_ms: i64) -> (State, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreKind::Demo).unwrap();
        let summary = fill(store, days, seed, now_ms).unwrap();
        let store = Store::open(dir.path(), StoreKind::Demo).unwrap();
        let desk = Desk::open(store, Box::new(ManualClock::at(now_ms)), "test").unwrap();
        (desk.state().clone(), summary)
    }

    /// What the seed decides, without the call ids (they carry the store's random replica tag).
    fn fingerprint(state: &State) -> Vec<String> {
        let mut calls: Vec<_> = state.calls.values().collect();
        calls.sort_by_key(|c| (c.received_ms, c.id.series().1));
        let mut out: Vec<String> = calls
            .iter()
            .map(|c| {
                let units: Vec<String> = c
                    .assignments
                    .iter()
                    .map(|a| format!("{}@{}-{:?}", a.unit, a.dispatched_ms, a.cleared_ms))
                    .collect();
                let notes: Vec<&str> = c.notes.iter().map(|n| n.text.as_str()).collect();
                // A backup call's nature names its parent's id.
                let nature = if c.backup_for.is_some() {
                    "backup"
                } else {
                    c.nature.as_str()
                };
                format!(
                    "{} {} / {nature} {:?} {:?} {:?} {:?} [{}] [{}]",
                    c.received_ms,
                    c.location,
                    c.call_type,
                    c.status,
                    c.disposition,
                    c.closed_ms,
                    units.join(" "),
                    notes.join(" | ")
                )
            })
            .collect();
        out.extend(
            state
                .units
                .values()
                .map(|u| format!("{} {} {}", u.callsign, u.status, u.status_ms)),
        );
        out.push(state.event_count().to_string());
        out
    }

    fn assert_consistent(state: &State, now_ms: i64) {
        assert!(state.alerts.is_empty(), "{:?}", state.alerts);
        for c in state.calls.values() {
            assert!(c.received_ms <= now_ms);
            match c.status {
                CallStatus::Closed => {
                    assert!(
                        c.disposition.is_some(),
                        "{} closed without a disposition",
                        c.id
                    );
                    assert!(c
                        .closed_ms
                        .is_some_and(|t| t >= c.received_ms && t <= now_ms));
                    assert!(
                        c.active_units().next().is_none(),
                        "{} closed with units on it",
                        c.id
                    );
                }
                CallStatus::Pending | CallStatus::Dispatched | CallStatus::OnScene => {
                    assert!(c.disposition.is_none());
                }
            }
        }
        for u in state.units.values() {
            assert!(UnitStatus::ALL.contains(&u.status));
            match &u.call {
                Some(call) => {
                    assert!(
                        u.status.is_committed(),
                        "{} has {call} but is {}",
                        u.callsign,
                        u.status
                    );
                    assert!(
                        state.calls[call].is_open(),
                        "{} is on closed {call}",
                        u.callsign
                    );
                }
                None => assert!(
                    !u.status.is_committed(),
                    "{} is {} with no call",
                    u.callsign,
                    u.status
                ),
            }
        }
    }

    #[test]
    fn two_days_give_a_plausible_history_and_a_live_board() {
        let (state, summary) = run(2, 7, NOW);
        assert_consistent(&state, NOW);
        assert_eq!(state.units.len(), 8);
        let calls = state.calls.len();
        assert!(
            (45..=110).contains(&calls),
            "{calls} calls in 2 days; {summary}"
        );
        let open: Vec<_> = state.calls.values().filter(|c| c.is_open()).collect();
        assert!(
            !open.is_empty() && open.len() < 20,
            "{} open; {summary}",
            open.len()
        );
        assert!(
            open.iter().any(|c| c.status == CallStatus::Pending),
            "{summary}"
        );
        let committed = state
            .units
            .values()
            .filter(|u| u.status.is_committed())
            .count();
        assert!(
            (1..8).contains(&committed),
            "{committed} units committed; {summary}"
        );
        let closed = state.calls.values().filter(|c| !c.is_open()).count();
        assert!(
            summary.starts_with(&format!("2 days: {calls} calls ({closed} closed")),
            "{summary}"
        );
        // Every call a team worked went through the statuses in order.
        for c in state.calls.values() {
            for a in &c.assignments {
                let stamps = [
                    Some(a.dispatched_ms),
                    a.en_route_ms,
                    a.on_scene_ms,
                    a.cleared_ms,
                ];
                let set: Vec<i64> = stamps.iter().flatten().copied().collect();
                assert!(set.windows(2).all(|w| w[0] <= w[1]), "{} {:?}", c.id, a);
            }
        }
    }

    #[test]
    fn a_night_time_now_still_ends_live() {
        // 03:00 UTC, outside service hours: the last two hours are an extended shift.
        let now = NOW - NOW.rem_euclid(DAY) + 3 * HOUR;
        let (state, summary) = run(1, 11, now);
        assert_consistent(&state, now);
        assert!(
            state
                .calls
                .values()
                .any(|c| c.status == CallStatus::Pending),
            "{summary}"
        );
        let off = state
            .units
            .values()
            .filter(|u| u.status == UnitStatus::OutOfService)
            .count();
        assert!(off < 4, "{off} units out of service at the end; {summary}");
    }

    #[test]
    fn the_same_seed_gives_the_same_history() {
        let (a, sa) = run(2, 42, NOW);
        let (b, sb) = run(2, 42, NOW);
        // Digests differ: call ids carry each store's random replica tag. Everything the seed
        // decides must match.
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(sa, sb);
        let (c, _) = run(2, 43, NOW);
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn the_mix_follows_the_field_data() {
        let (state, summary) = run(10, 3, NOW);
        assert_consistent(&state, NOW);
        let eligible: Vec<_> = state
            .calls
            .values()
            .filter(|c| c.backup_for.is_none())
            .filter(|c| {
                c.call_type
                    .is_some_and(|t| !SCREENED.iter().any(|s| s.0 == t))
            })
            .collect();
        let n = eligible.len() as f64;
        assert!(n > 250.0, "{n} eligible calls in 10 days; {summary}");
        let share = |types: &[CallType]| {
            eligible
                .iter()
                .filter(|c| c.call_type.is_some_and(|t| types.contains(&t)))
                .count() as f64
                / n
        };
        let checks: [(&[CallType], f64, f64); 6] = [
            (&[CallType::Welfare], 0.27, 0.43),
            (&[CallType::Unsheltered], 0.18, 0.32),
            (&[CallType::BhCrisis, CallType::Suicidal], 0.13, 0.27),
            (&[CallType::Intox], 0.05, 0.15),
            (&[CallType::Transport], 0.015, 0.09),
            (
                &[
                    CallType::Disorder,
                    CallType::Trespass,
                    CallType::Assist,
                    CallType::Drugs,
                    CallType::Noise,
                    CallType::Sick,
                ],
                0.015,
                0.09,
            ),
        ];
        for (types, lo, hi) in checks {
            let s = share(types);
            assert!(
                (lo..=hi).contains(&s),
                "{types:?}: {s:.3} not in {lo}..{hi}; {summary}"
            );
        }
        let worked: Vec<_> = eligible
            .iter()
            .filter(|c| !c.assignments.is_empty() && !c.is_open())
            .collect();
        let resolved = worked
            .iter()
            .filter(|c| c.disposition == Some(Disposition::Resolved))
            .count() as f64
            / worked.len() as f64;
        assert!(
            (0.3..=0.5).contains(&resolved),
            "resolved on scene {resolved:.3}; {summary}"
        );
    }

    #[test]
    fn templates_survive_the_command_line() {
        let mut texts: Vec<&str> = Vec::new();
        for z in ZONES {
            texts.extend(z.streets);
            texts.extend(z.places);
        }
        for m in MIX {
            texts.extend(m.3);
        }
        for (_, natures) in OTHER_NATURES {
            texts.extend(*natures);
        }
        for s in SCREENED {
            texts.extend([s.1, s.3]);
        }
        for d in Disposition::ALL {
            texts.extend(scene_notes(*d));
        }
        texts.extend(INTAKE_NOTES);
        texts.extend(COMMUNITY_DESTINATIONS);
        texts.extend(HOSPITALS);
        texts.extend(CALLER_ROLES);
        for t in texts {
            assert!(!t.contains(['/', '"', '\\']) && !t.contains("--"), "{t}");
            assert_eq!(t.split_whitespace().collect::<Vec<_>>().join(" "), t, "{t}");
        }
        let total: f64 = MIX.iter().map(|m| m.1).sum();
        assert!((total - 100.0).abs() < 1e-9);
        assert!(DIURNAL.iter().sum::<f64>() - 16.0 < 1e-9);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1830), "1,830");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
