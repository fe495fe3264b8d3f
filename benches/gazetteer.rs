//! Benchmarks for the gazetteer's goals over 100k addresses:
//! - importing the CSV (parse, validate, index) takes ≤ 2 s;
//! - a lookup of what a call-taker types takes ≤ 5 ms, and so does placing a call (lookup,
//!   ties, confidence), intersections and ordinals included.
//!
//! `cargo bench --bench gazetteer` first prints plain lines (import time; per typed input the
//! mean, p99 and worst of 300 lookups and of 300 placements, the number of answers, the best one
//! and the placement), then runs the criterion groups `import/*`, `lookup/*` and `place/*`. Under `cargo test --benches` (no `--bench`
//! argument) everything runs once over 2k addresses, as a smoke test.
//!
//! The list is synthetic but shaped like a county's: 2,000 streets named from 900 invented words
//! with the usual suffixes and some directions, ~50 houses each, numbers rising along each street,
//! five cities, units on some rows; plus Colfax Ave and its look-alikes (Cole St, Colorado Blvd,
//! Colfax Ct) so that the typical inputs have competitors, and twenty numbered streets (`1st St`,
//! half of them written `Third Street` and so on) crossing Colfax Ave, for intersections.

// A benchmark has no one to report an error to: any failure aborts it, with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode};
use switchboard::places::Gazetteer;

/// What call-takers type: a full address, a typo, a spelled-out suffix, a bare street, a bare
/// number, one letter, a misspelled street, words run together (the street-name scan), nothing
/// known, and a pathological run of single letters.
const INPUTS: [&str; 18] = [
    "1400 colfax",
    "1400 colfx av",
    "1400 Colfax Avenue",
    "2210 e ashmor st",
    "kestwin",
    "1400",
    "c",
    "1400 coalfax ave",
    "1400colfaxave",
    "ashmorst",
    "zzqx",
    "a b c d e f g h",
    "3rd St & Colfax Ave",
    "third and colfax",
    "colfax / 12th",
    "1010 Third Street",
    "1010 North 3rd St",
    "1010 12th st",
];

fn main() {
    let full = is_full_run();
    let rows = if full { 100_000 } else { 2_000 };
    let text = synthetic_csv(rows);

    let started = Instant::now();
    let imported = Gazetteer::import(&text, "synthetic.csv").expect("header");
    let (g, problems) = (imported.gazetteer, imported.problems);
    let took = started.elapsed();
    assert!(
        problems.is_empty(),
        "{:?}",
        &problems[..problems.len().min(3)]
    );
    assert_eq!(g.len(), rows);
    println!(
        "gazetteer import: {} rows, {:.1} MB, {:.0} ms (goal ≤ 2000 ms)",
        g.len(),
        text.len() as f64 / 1e6,
        ms(took)
    );
    lookup_report(&g, if full { 300 } else { 3 });

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("import");
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(if full { 20 } else { 1 }));
        group.bench_function(label(rows), |b| {
            b.iter_batched(
                || (),
                |()| black_box(Gazetteer::import(&text, "synthetic.csv").expect("header")),
                BatchSize::PerIteration,
            );
        });
        group.finish();
    }
    let lookup = |typed: &str| drop(black_box(g.lookup(black_box(typed), 10)));
    let place = |typed: &str| drop(black_box(g.place(black_box(typed))));
    let jobs: [(&str, Job); 2] = [("lookup", &lookup), ("place", &place)];
    for (name, job) in jobs {
        let mut group = c.benchmark_group(name);
        group
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for typed in INPUTS {
            group.bench_function(format!("{}/{typed}", label(rows)), |b| {
                b.iter(|| job(typed));
            });
        }
        group.finish();
    }
    c.final_summary();
}

/// One timed thing to do with a typed input.
type Job<'a> = &'a dyn Fn(&str);

/// `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion's own rule).
fn is_full_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

fn lookup_report(g: &Gazetteer, runs: usize) {
    for typed in INPUTS {
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                black_box(g.lookup(black_box(typed), 10));
                started.elapsed()
            })
            .collect();
        times.sort_unstable();
        let mean = times.iter().sum::<Duration>() / runs as u32;
        let p99 = times[(runs * 99 / 100).min(runs - 1)];
        let found = g.lookup(typed, 10);
        let best = found.first().map(|(a, _)| a.label()).unwrap_or_default();
        println!(
            "gazetteer lookup {typed:?}: mean {:.3} ms, p99 {:.3} ms, max {:.3} ms, {} answers, best {best:?} (goal ≤ 5 ms)",
            ms(mean),
            ms(p99),
            ms(times[runs - 1]),
            found.len(),
        );
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                black_box(g.place(black_box(typed)));
                started.elapsed()
            })
            .collect();
        times.sort_unstable();
        let mean = times.iter().sum::<Duration>() / runs as u32;
        let p99 = times[(runs * 99 / 100).min(runs - 1)];
        println!(
            "gazetteer place  {typed:?}: mean {:.3} ms, p99 {:.3} ms, max {:.3} ms, {} (goal ≤ 5 ms)",
            ms(mean),
            ms(p99),
            ms(times[runs - 1]),
            g.place(typed).placement.describe(),
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `100k`, `2k`.
fn label(n: usize) -> String {
    if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// A synthetic county

const SYLLABLES: [&str; 30] = [
    "bel", "kest", "mar", "ash", "wil", "thorn", "hal", "bram", "cor", "dun", "fen", "gar", "hol",
    "lin", "mor", "nor", "pen", "ros", "sal", "tam", "ven", "wex", "yar", "ald", "bex", "cal",
    "dal", "el", "fair", "glen",
];
const ENDINGS: [&str; 30] = [
    "mor", "win", "ton", "ford", "wood", "field", "ley", "brook", "dale", "hurst", "mere", "wick",
    "stead", "gate", "ridge", "view", "crest", "haven", "land", "by", "well", "side", "wold",
    "combe", "holm", "shaw", "ing", "ham", "den", "port",
];
const SUFFIXES: [&str; 9] = ["St", "Ave", "Blvd", "Dr", "Rd", "Ln", "Ct", "Pl", "Way"];
const CITIES: [&str; 5] = ["Denver", "Aurora", "Lakewood", "Englewood", "Arvada"];

/// A reproducible generator (xorshift64*), so that every run measures the same list.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn synthetic_csv(rows: usize) -> String {
    const WORDS: [&str; 10] = [
        "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth",
        "Tenth",
    ];
    let mut streets: Vec<String> = vec![
        "Colfax Ave".into(),
        "E Colfax Ave".into(),
        "Cole St".into(),
        "Colorado Blvd".into(),
        "Colfax Ct".into(),
    ];
    for k in 0..2_000 {
        let word = format!("{}{}", SYLLABLES[k % 30], ENDINGS[(k / 30) % 30]);
        let mut word = word.chars();
        let word: String = word
            .next()
            .map(|c| c.to_ascii_uppercase())
            .into_iter()
            .chain(word)
            .collect();
        let direction = ["", "", "", "E ", "W "][k % 5];
        streets.push(format!("{direction}{word} {}", SUFFIXES[(k / 900) % 9]));
    }
    streets.truncate((rows / 50).max(5));
    // Twenty numbered streets, written both ways, cross Colfax Ave (the first street).
    let numbered: Vec<String> = (1..=20)
        .map(|k: usize| match k {
            k if k % 2 == 1 && k <= 10 => format!("{} Street", WORDS[k - 1]),
            k => format!("{} St", switchboard::places::normalize::ordinal(k as u32)),
        })
        .collect();
    let per_street = (rows - numbered.len() * 50).div_ceil(streets.len());

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(rows * 80);
    out.push_str("LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n");
    let mut n = 0;
    for (k, street) in numbered.iter().enumerate() {
        // 200 m apart, running north across Colfax Ave (39.74), houses on both sides.
        let lon = -105.10 + 0.0025 * (k as f64 + 1.0);
        for h in 0..50 {
            n += 1;
            let lat = 39.735 + 0.0002 * h as f64;
            let side = if h % 2 == 0 { -0.0002 } else { 0.0002 };
            writeln!(
                out,
                "{:.6},{lat:.6},{},{street},,Denver,d1,CO,80203,{n},{:016x}",
                lon + side,
                1000 + h,
                rng.next()
            )
            .unwrap();
        }
    }
    'streets: for (s, street) in streets.iter().enumerate() {
        // Each street starts somewhere in a 30 km square and runs north or east; Colfax Ave
        // runs east along 39.74 across the numbered streets, houses on both sides.
        let (mut lat, mut lon) = (39.60 + rng.unit() * 0.27, -105.17 + rng.unit() * 0.35);
        let mut northward = rng.below(2) == 0;
        if s == 0 {
            (lat, lon, northward) = (39.74, -105.10, false);
        }
        let city = CITIES[s % CITIES.len()];
        // The Colfax family runs 1000, 1040, … so that all of them have a 1400.
        let colfax = s < 5;
        let mut number = if colfax {
            1000
        } else {
            100 + 100 * rng.below(20)
        };
        for _ in 0..per_street {
            if n == rows {
                break 'streets;
            }
            n += 1;
            let unit = if rng.below(10) == 0 {
                (1 + rng.below(12)).to_string()
            } else {
                String::new()
            };
            let district = format!("d{}", 1 + s % 6);
            let postcode = 80_200 + s % 40;
            writeln!(
                out,
                "{lon:.6},{lat:.6},{number},{street},{unit},{city},{district},CO,{postcode},{n},{:016x}",
                rng.next()
            )
            .unwrap();
            // Houses ~20 m apart, numbers rising by 2–40.
            number += if colfax { 40 } else { 2 * (1 + rng.below(20)) };
            if northward {
                lat += 0.00018;
            } else if s == 0 {
                // Colfax Ave: ~40 m between houses, alternating sides.
                lon += 0.00047;
                lat = if n % 2 == 0 { 39.7398 } else { 39.7402 };
            } else {
                lon += 0.00023;
            }
        }
    }
    out
}
