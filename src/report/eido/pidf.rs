//! Locations by value: the PIDF-LO (RFC 4119, civic address elements of RFC 5139) an EIDO
//! carries as text, written and read; and the JSON object some 2021-era senders put in its
//! place instead.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::text::{clean, decode_entities, html_escape};
use crate::domain::text::MAX_TEXT_BYTES;
use crate::domain::CallId;
use crate::domain::{CivicAddress, Coords};

/// A PIDF-LO: the address as civic elements — in parts when known (`HNO`, `RD`, `UNIT`, `A3`,
/// `PC`), else the text as typed in `LOC` — and, when known, the point (WGS 84, latitude first).
pub(super) fn write(
    call: &CallId,
    text: &str,
    civic: Option<&CivicAddress>,
    coords: Option<&Coords>,
) -> String {
    let mut address = String::new();
    match civic.filter(|c| !c.is_empty()) {
        Some(c) => {
            for (element, value) in [
                ("HNO", &c.number),
                ("RD", &c.street),
                ("UNIT", &c.unit),
                ("A3", &c.city),
                ("PC", &c.postcode),
            ] {
                if !value.is_empty() {
                    let _ = write!(
                        address,
                        "<ca:{element}>{}</ca:{element}>",
                        html_escape(value)
                    );
                }
            }
        }
        None => {
            let _ = write!(address, "<ca:LOC>{}</ca:LOC>", html_escape(text));
        }
    }
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
         xmlns:gp=\"urn:ietf:params:xml:ns:pidf:geopriv10\" \
         xmlns:ca=\"urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr\" \
         xmlns:gml=\"http://www.opengis.net/gml\" entity=\"pres:{call}@switchboard.invalid\">\
         <tuple id=\"civic\"><status><gp:geopriv><gp:location-info><ca:civicAddress>\
         {address}</ca:civicAddress></gp:location-info><gp:usage-rules/>\
         <gp:method>Manual</gp:method></gp:geopriv></status></tuple>"
    );
    if let Some(c) = coords {
        let _ = write!(
            xml,
            "<tuple id=\"point\"><status><gp:geopriv><gp:location-info>\
             <gml:Point srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>{} {}</gml:pos></gml:Point>\
             </gp:location-info><gp:usage-rules/><gp:method>Manual</gp:method></gp:geopriv>\
             </status></tuple>",
            c.lat, c.lon
        );
    }
    xml.push_str("</presence>");
    xml
}

/// What a location by value says: the civic address as one line, in parts, and the point.
#[derive(Debug, Default)]
pub(super) struct Place {
    pub text: Option<String>,
    pub civic: Option<CivicAddress>,
    pub coords: Option<Coords>,
}

fn join(parts: Vec<Option<String>>, sep: &str) -> Option<String> {
    let parts: Vec<String> = parts.into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(sep))
}

fn in_range(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// Reads a PIDF-LO document.
pub(super) fn read(xml: &str, what: &str) -> Result<Place, String> {
    let field = |name: &str| -> Result<Option<String>, String> {
        element_text(xml, name)
            .map(|t| {
                clean(
                    &format!("{what} <{name}>"),
                    &decode_entities(t),
                    MAX_TEXT_BYTES,
                )
            })
            .transpose()
            .map(|t| t.filter(|t| !t.is_empty()))
    };
    let number = join(vec![field("HNO")?, field("HNS")?], "");
    let road = join(
        vec![
            field("PRD")?,
            field("RD")?.or(field("A6")?),
            field("STS")?,
            field("POD")?,
        ],
        " ",
    );
    let street_line = join(vec![number.clone(), road.clone()], " ");
    let unit = field("UNIT")?;
    let city = field("A3")?;
    let text = join(
        vec![
            street_line,
            unit.as_ref().map(|u| format!("unit {u}")),
            field("LOC")?,
            field("NAM")?,
            city.clone(),
            field("A1")?,
        ],
        ", ",
    );
    let civic = CivicAddress {
        number: number.unwrap_or_default(),
        street: road.unwrap_or_default(),
        unit: unit.unwrap_or_default(),
        city: city.unwrap_or_default(),
        postcode: field("PC")?.unwrap_or_default(),
    };
    let coords = match element_text(xml, "pos") {
        None => None,
        Some(pos) => {
            let mut it = pos.split_whitespace().map(str::parse::<f64>);
            match (it.next(), it.next()) {
                (Some(Ok(lat)), Some(Ok(lon))) if in_range(lat, lon) => Some(Coords { lat, lon }),
                _ => {
                    return Err(format!(
                        "{what} has a position that is not a latitude and longitude in range"
                    ))
                }
            }
        }
    };
    Ok(Place {
        text,
        civic: (!civic.is_empty()).then_some(civic),
        coords,
    })
}

/// Reads the object some 2021-era senders write for `locationByValue` (a civic address of
/// named parts and a WGS 84 point), where its meaning is plain; any other shape is refused
/// with the field named.
pub(super) fn read_object(o: &Map<String, Value>, what: &str) -> Result<Place, String> {
    const KNOWN: &[&str] = &[
        "civicAddress",
        "wgs84LocationEllipse",
        "point",
        "wgs84Point",
    ];
    if let Some(k) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!(
            "{what} is an object with '{k}', which is not a location this reader knows; send \
             a PIDF-LO document (a string)"
        ));
    }
    let part = |c: &Map<String, Value>, keys: &[&str]| -> Result<Option<String>, String> {
        for k in keys {
            match c.get(*k) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => {
                    let s = clean(&format!("{what}.civicAddress.{k}"), s, MAX_TEXT_BYTES)?;
                    if !s.is_empty() {
                        return Ok(Some(s));
                    }
                }
                Some(_) => {
                    return Err(format!("{what}.civicAddress.{k} is not a string"));
                }
            }
        }
        Ok(None)
    };
    let mut place = Place::default();
    if let Some(v) = o.get("civicAddress") {
        let Value::Object(c) = v else {
            return Err(format!("{what}.civicAddress is not an object"));
        };
        let number = part(c, &["houseNumber", "HNO"])?;
        let road = join(
            vec![
                part(c, &["streetDirection", "PRD"])?,
                part(c, &["street", "streetName", "RD"])?,
                part(c, &["streetType", "streetSuffix", "STS"])?,
            ],
            " ",
        );
        let city = part(c, &["city", "A3"])?;
        let unit = part(c, &["unit", "UNIT"])?;
        let postcode = part(c, &["postalCode", "PC"])?;
        place.text = join(
            vec![
                join(vec![number.clone(), road.clone()], " "),
                unit.as_ref().map(|u| format!("unit {u}")),
                city.clone(),
                part(c, &["state", "A1"])?,
            ],
            ", ",
        );
        let civic = CivicAddress {
            number: number.unwrap_or_default(),
            street: road.unwrap_or_default(),
            unit: unit.unwrap_or_default(),
            city: city.unwrap_or_default(),
            postcode: postcode.unwrap_or_default(),
        };
        place.civic = (!civic.is_empty()).then_some(civic);
    }
    let point = o
        .get("wgs84LocationEllipse")
        .and_then(|e| e.get("point"))
        .or(o.get("point"))
        .or(o.get("wgs84Point"));
    if let Some(p) = point {
        let lat = p.get("latitude").and_then(Value::as_f64);
        let lon = p.get("longitude").and_then(Value::as_f64);
        match (lat, lon) {
            // A point at 0,0 from a generator that had no position is no position.
            (Some(lat), Some(lon)) if lat == 0.0 && lon == 0.0 => {}
            (Some(lat), Some(lon)) if in_range(lat, lon) => {
                place.coords = Some(Coords { lat, lon });
            }
            _ => {
                return Err(format!(
                    "{what} has a point that is not a latitude and longitude in range"
                ))
            }
        }
    }
    Ok(place)
}

/// The text of the first element with this local name (any namespace prefix), up to the next
/// tag. Enough for the flat elements of a civic address and a `gml:pos`; not a general parser.
pub(super) fn element_text<'x>(xml: &'x str, local: &str) -> Option<&'x str> {
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let tag = &rest[start + 1..];
        let name_end = tag.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        let name = &tag[..name_end];
        let bare = name.rsplit(':').next().unwrap_or(name);
        let close = tag.find('>')?;
        if bare == local && !tag[..close].ends_with('/') {
            let body = &tag[close + 1..];
            let end = body.find('<').unwrap_or(body.len());
            return Some(&body[..end]);
        }
        rest = &tag[close.min(tag.len())..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_found_by_local_name_in_any_namespace() {
        let xml = "<a:civicAddress><a:HNO>42</a:HNO><RD/><A3 x=\"1\">Wilmington</A3>\
                   </a:civicAddress><gml:pos>1 2</gml:pos>";
        assert_eq!(element_text(xml, "HNO"), Some("42"));
        assert_eq!(element_text(xml, "RD"), None);
        assert_eq!(element_text(xml, "A3"), Some("Wilmington"));
        assert_eq!(element_text(xml, "pos"), Some("1 2"));
        assert_eq!(element_text("<", "pos"), None);
        assert_eq!(element_text("<pos", "pos"), None);
    }

    #[test]
    fn an_address_in_parts_is_written_in_parts_and_read_back() {
        let civic = CivicAddress {
            number: "1400".into(),
            street: "Colfax Ave".into(),
            unit: "3".into(),
            city: "Millbrook".into(),
            postcode: "80203".into(),
        };
        let id: CallId = "26-BA0001".parse().unwrap();
        let xml = write(&id, "1400 Colfax Ave", Some(&civic), None);
        assert!(
            xml.contains("<ca:HNO>1400</ca:HNO><ca:RD>Colfax Ave</ca:RD>"),
            "{xml}"
        );
        assert!(!xml.contains("<ca:LOC>"), "{xml}");
        let place = read(&xml, "x").unwrap();
        assert_eq!(place.civic, Some(civic));
        assert_eq!(
            place.text.as_deref(),
            Some("1400 Colfax Ave, unit 3, Millbrook")
        );
    }
}
