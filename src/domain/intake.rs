//! Taking a call: a new call's events, its id, and placing an ambiguous one at the choice picked.

use chrono::{DateTime, Datelike};

use super::command::NewCall;
use super::event::{Body, CallField};
use super::ids::{shown, CallId};
use super::place::CivicAddress;
use super::placement::Placement;
use super::planning::{open_call, refuse, text_field, Context, Refusal};
use super::state::State;
use super::vocab::{CallType, Priority};

pub(super) fn take_call(state: &State, new: &NewCall, ctx: &Context) -> Result<Vec<Body>, Refusal> {
    let location = text_field("location", &new.location)?;
    let nature = text_field("nature", &new.nature)?;
    if location.is_empty() || nature.is_empty() {
        refuse!("a call needs a location and a nature: call <location> / <nature>");
    }
    let priority = new
        .priority
        .or_else(|| new.call_type.map(CallType::default_priority))
        .unwrap_or(Priority::new(3).map_err(Refusal)?);
    Ok(vec![Body::CallCreated {
        call: mint_call_id(state, ctx),
        location,
        coords: new.coords.clone(),
        nature,
        call_type: new.call_type,
        priority,
        caller: new
            .caller
            .as_deref()
            .map(|c| text_field("caller", c))
            .transpose()?,
        callback: new
            .callback
            .as_deref()
            .map(|c| text_field("callback", c))
            .transpose()?,
        zone: new
            .zone
            .as_deref()
            .map(|z| text_field("zone", z))
            .transpose()?,
        started_ms: None,
        civic: new
            .civic
            .as_ref()
            .map(|c| civic_parts(c).map(Box::new))
            .transpose()?
            .filter(|c| !c.is_empty()),
        placed: new
            .placed
            .as_deref()
            .cloned()
            .or_else(|| new.coords.as_ref().map(|_| Placement::Given)),
    }])
}

/// An ambiguous call placed at the choice the dispatcher picked: the location becomes the
/// choice's address, so what is shown is where the team goes.
pub(super) fn place(state: &State, call: &str, choice: &str) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "place")?;
    let Some(placement @ Placement::Ambiguous { choices }) = &c.placement else {
        let now = c.placement.as_ref().map_or_else(
            || "no address list placed it".to_owned(),
            Placement::describe,
        );
        refuse!(
            "{} has no choices to pick from ({now}); to move it: set {} loc <address>",
            c.id,
            c.id
        );
    };
    let Some(picked) = placement.choice(choice) else {
        let letters: Vec<String> = (0..choices.len())
            .map(|n| super::placement::choice_letter(n).to_string())
            .collect();
        refuse!(
            "{} is not one of {}'s choices; pick {}: {}",
            shown(choice),
            c.id,
            letters.join(", "),
            placement.describe()
        );
    };
    Ok(vec![Body::CallEdited {
        call: c.id.clone(),
        field: CallField::Location(picked.label.clone()),
        replaces: state.field_setter(&c.id, "loc"),
        coords: Some(picked.coords.clone()),
        placed: Some(Placement::Picked {
            matched: picked.label.clone(),
        }),
        reason: None,
    }])
}

pub(super) fn civic_parts(c: &CivicAddress) -> Result<CivicAddress, Refusal> {
    Ok(CivicAddress {
        number: text_field("house number", &c.number)?,
        street: text_field("street", &c.street)?,
        unit: text_field("unit", &c.unit)?,
        city: text_field("city", &c.city)?,
        postcode: text_field("postcode", &c.postcode)?,
    })
}

pub(super) fn mint_call_id(state: &State, ctx: &Context) -> CallId {
    let year = DateTime::from_timestamp_millis(ctx.now_ms).map_or(1970, |t| t.year());
    let tag = ctx.origin.tag();
    let probe = CallId::mint(year, &tag, 0);
    CallId::mint(year, &tag, state.next_call_number(probe.series().0))
}
