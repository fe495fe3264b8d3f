//! Every command prints to a line that parses back to the same command.

use proptest::prelude::*;
use switchboard::command::{parse, print};
use switchboard::domain::Coords;
use switchboard::domain::{
    Agency, CallField, CallType, Capability, Command, Disposition, NewCall, Priority, ResponseType,
    UnitStatus, UnservedReason,
};

/// Free text as a dispatcher types it: words, single-spaced, including quotes, slashes and
/// words that look like options.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[A-Za-z0-9.,'&#-]{1,10}",
            Just("/".to_owned()),
            Just("--force".to_owned()),
            Just("\"quoted\"".to_owned()),
            Just("back\\slash".to_owned()),
            "[a-z]{1,4}/[a-z]{1,4}",
            "[à-ÿ]{1,5}",
        ],
        1..6,
    )
    .prop_map(|w| w.join(" "))
}

fn reference() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{2}-[A-HJ-NP-Z]{2}[0-9]{4}",
        "[0-9]{1,4}",
        "[A-Z]{2,4}-[0-9]"
    ]
}

fn command() -> impl Strategy<Value = Command> {
    let ct = prop::sample::select(CallType::ALL);
    let pri = (1u8..=4).prop_map(|p| Priority::new(p).unwrap());
    prop_oneof![
        (
            text(),
            text(),
            prop::option::of(ct.clone()),
            prop::option::of(pri.clone()),
            prop::option::of(text()),
            prop::option::of("[0-9-]{3,12}"),
            prop::option::of("[a-z][a-z0-9]{0,4}"),
            prop::option::of((-90.0..90.0f64, -180.0..180.0f64))
        )
            .prop_map(
                |(location, nature, call_type, priority, caller, callback, zone, at)| {
                    Command::TakeCall(NewCall {
                        location,
                        nature,
                        call_type,
                        priority,
                        caller,
                        callback,
                        zone,
                        coords: at.map(|(lat, lon)| Coords { lat, lon }),
                        civic: None,
                        placed: None,
                    })
                }
            ),
        (reference(), text(), any::<bool>()).prop_map(|(call, text, caution)| Command::Note {
            call,
            text,
            caution
        }),
        (
            reference(),
            prop_oneof![
                text().prop_map(CallField::Location),
                text().prop_map(CallField::Nature),
                ct.prop_map(CallField::Type),
                pri.prop_map(CallField::Priority),
                text().prop_map(CallField::Caller),
                "[0-9-]{3,12}".prop_map(CallField::Callback),
            ],
            prop::option::of(text())
        )
            .prop_map(|(call, field, reason)| Command::Set {
                call,
                field,
                located: None,
                reason,
            }),
        (
            reference(),
            prop::collection::vec(prop::sample::select(Capability::ALL), 1..4),
            prop::option::of(text())
        )
            .prop_map(|(callsign, capabilities, zone)| Command::AddUnit {
                callsign,
                capabilities,
                zone
            }),
        (reference(), reference(), any::<bool>(), any::<bool>()).prop_map(
            |(unit, call, en_route, force)| Command::Dispatch {
                unit,
                call,
                en_route,
                force
            }
        ),
        (
            reference(),
            prop::sample::select(
                &[
                    UnitStatus::EnRoute,
                    UnitStatus::OnScene,
                    UnitStatus::AtFacility,
                    UnitStatus::Available
                ][..]
            )
        )
            .prop_map(|(unit, status)| Command::Status {
                unit,
                status,
                detail: None,
                back_minutes: None
            }),
        (reference(), prop::option::of(text())).prop_map(|(unit, detail)| Command::Status {
            unit,
            status: UnitStatus::Transporting,
            detail,
            back_minutes: None
        }),
        (
            reference(),
            prop::option::of(text()),
            prop::option::of(1u32..=1440)
        )
            .prop_map(|(unit, detail, back_minutes)| Command::Status {
                unit,
                status: UnitStatus::OutOfService,
                detail,
                back_minutes
            }),
        (reference(), prop::option::of(text()))
            .prop_map(|(unit, reason)| Command::Disregard { unit, reason }),
        (reference(), reference()).prop_map(|(call, into)| Command::Merge { call, into }),
        (reference(), prop::option::of(text()))
            .prop_map(|(call, by)| Command::Confirm { call, by }),
        Just(Command::SignOn),
        Just(Command::SignOff),
        (1u32..=72).prop_map(|hours| Command::Handover { hours }),
        (
            reference(),
            prop::sample::select(
                &[
                    UnitStatus::Dispatched,
                    UnitStatus::EnRoute,
                    UnitStatus::OnScene,
                    UnitStatus::Transporting,
                    UnitStatus::AtFacility,
                ][..]
            ),
            text()
        )
            .prop_map(|(unit, status, reason)| Command::Correct {
                unit,
                status,
                reason
            }),
        (
            reference(),
            prop::sample::select(Disposition::ALL),
            any::<bool>(),
            prop::option::of(prop::sample::select(UnservedReason::ALL))
        )
            .prop_map(|(call, disposition, force, unserved)| Command::Close {
                call,
                disposition,
                force,
                unserved
            }),
        (
            reference(),
            prop_oneof!["[a-z]{1,8}", "[a-z]"],
            prop_oneof!["yes", "no", "unknown", "[a-z]{1,6}"]
        )
            .prop_map(|(call, question, answer)| Command::Ask {
                call,
                question,
                answer
            }),
        (
            reference(),
            prop::sample::select(ResponseType::ALL),
            prop::option::of(text())
        )
            .prop_map(|(call, response, reason)| Command::Respond {
                call,
                response,
                reason
            }),
        (reference(), any::<bool>(), any::<bool>()).prop_map(|(call, dispatch, partial)| {
            Command::Recommend {
                call,
                dispatch,
                partial: dispatch && partial,
            }
        }),
        reference().prop_map(|unit| Command::CheckIn { unit }),
        reference().prop_map(|call| Command::Reopen { call }),
        (reference(), 1u32..=240, text()).prop_map(|(call, minutes, reason)| Command::Hold {
            call,
            minutes,
            reason
        }),
        reference().prop_map(|call| Command::Unhold { call }),
        (reference(), reference()).prop_map(|(call, other)| Command::Link { call, other }),
        (reference(), prop::sample::select(Agency::ALL))
            .prop_map(|(call, agency)| Command::Backup { call, agency }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_is_identity(cmd in command()) {
        let line = print(&cmd);
        prop_assert_eq!(parse(&line), Ok(cmd), "{}", line);
    }

    #[test]
    fn parsing_any_line_never_panics(line in "\\PC{0,80}") {
        let _ = parse(&line);
        let _ = switchboard::command::complete(&line, &switchboard::domain::State::default());
    }
}
