//! Through the binary: `switchboard import eido FILE` takes a hand-over in one commit, knows an
//! incident it has taken before, and refuses hostile documents without touching the store.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use switchboard::domain::CallId;

use super::import::{generated, REFUSED};
use super::{export_one, fixture, shift};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

pub struct Sandbox {
    pub tmp: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--data")
            .arg(self.tmp.path().join("store"))
            .args(args)
            .env("SWITCHBOARD_DATA", self.tmp.path().join("decoy"))
            .env("SWITCHBOARD_CONFIG", self.tmp.path().join("config"))
            .env("SWITCHBOARD_OPERATOR", "cy")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn digest(&self) -> String {
        self.ok(&["state", "--digest"])
    }
}

#[test]
fn the_cli_imports_a_handover_as_a_pending_call_with_its_notes() {
    let (h, crisis, _) = shift();
    let sandbox = Sandbox::new();
    let file = sandbox.tmp.path().join("crisis.json");
    std::fs::write(&file, export_one(&h, &crisis).to_string()).unwrap();
    let out = sandbox.ok(&["import", "eido", file.to_str().unwrap()]);
    let id = out.split_whitespace().next().unwrap().to_owned();
    assert!(id.parse::<CallId>().is_ok(), "{out}");
    assert!(
        out.ends_with(&format!(
            "; 3 note(s) from urn:switchboard:0000000000000001 incident {crisis}\n"
        )),
        "{out}"
    );
    let state: Value = serde_json::from_str(&sandbox.ok(&["state", "--json"])).unwrap();
    let call = &state["calls"][&id];
    let original = &h.state().calls[&crisis];
    assert_eq!(call["status"], "pending");
    assert_eq!(call["location"], json!(original.location));
    assert_eq!(call["nature"], json!(original.nature));
    assert_eq!(call["call_type"], "bh-crisis");
    assert_eq!(call["caller"], "Jo Smith");
    assert_eq!(call["callback"], "555-0101");
    assert_eq!(call["coords"], json!({ "lat": 39.74, "lon": -104.99 }));
    let notes: Vec<&str> = call["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    let origin =
        format!("handed over from urn:switchboard:0000000000000001 incident {crisis} (EIDO)");
    assert_eq!(
        notes,
        vec![
            origin.as_str(),
            "caller says he is <b>not</b> armed & it's calm now",
            "CAUTION: dog in the yard",
            "agreed to go to the crisis centre",
        ]
    );
    assert!(call["notes"][0]["operator"] == "cy");
}

#[test]
fn the_cli_refuses_hostile_documents_and_writes_nothing() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "exec",
        "unit add STAR-1 clinician",
        "call 1 Main St / welfare check",
    ]);
    let before = sandbox.digest();
    let mut cases: Vec<(PathBuf, String)> = REFUSED
        .iter()
        .map(|(name, reason)| {
            let path = fixture(name);
            let shown = path.display().to_string();
            (path, format!("{shown} was not imported: {reason}"))
        })
        .collect();
    for (path, message) in generated(sandbox.tmp.path()) {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let shown = path.display().to_string();
        cases.push((path, message.replacen(&name, &shown, 1)));
    }
    for (path, expected) in cases {
        let out = sandbox.run(&["import", "eido", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", path.display());
        assert_eq!(out.stdout, b"");
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            format!("switchboard: {expected}\n")
        );
        assert_eq!(
            sandbox.digest(),
            before,
            "{} changed the store",
            path.display()
        );
    }
    // A refused document does not even create a store.
    let fresh = Sandbox::new();
    let out = fresh.run(&["import", "eido", fixture("array.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!fresh.tmp.path().join("store").exists());
}

#[test]
fn the_cli_takes_nenas_2020_sample_as_a_pending_call_once() {
    let sandbox = Sandbox::new();
    let file = super::shared().join("sample-eido-2020-11-17.json");
    let out = sandbox.ok(&["import", "eido", file.to_str().unwrap()]);
    let id = out.split_whitespace().next().unwrap().to_owned();
    assert!(id.parse::<CallId>().is_ok(), "{out}");
    let state: Value = serde_json::from_str(&sandbox.ok(&["state", "--json"])).unwrap();
    let call = &state["calls"][&id];
    assert_eq!(call["status"], "pending");
    assert_eq!(call["location"], "40.441345,-80.000266");
    assert_eq!(
        call["coords"],
        json!({ "lat": 40.441_345, "lon": -80.000_266 })
    );
    assert_eq!(call["nature"], "CIVIL UNREST; REQUEST MUTUAL AID");
    assert_eq!(call["priority"], json!(1));
    let tracking = "urn:emergency:uid:incidentid:0:psap.allegheny.pa.us";
    assert_eq!(
        call["notes"][0]["text"],
        json!(format!(
            "handed over from psap.allegheny.pa.us incident {tracking} (EIDO)"
        ))
    );
    // Its tracking id is the incident: the same document again is the same call.
    let digest = sandbox.digest();
    let again = sandbox.ok(&["import", "eido", file.to_str().unwrap()]);
    assert_eq!(
        again,
        format!("{id} already holds psap.allegheny.pa.us incident {tracking}; nothing new\n")
    );
    assert_eq!(sandbox.digest(), digest);
}

#[test]
fn importing_the_same_incident_again_is_recognised() {
    let sandbox = Sandbox::new();
    let file = fixture("handover-from-911.json");
    let first = sandbox.ok(&["import", "eido", file.to_str().unwrap()]);
    let id = first.split_whitespace().next().unwrap().to_owned();
    let digest = sandbox.digest();
    let again = sandbox.ok(&["import", "eido", file.to_str().unwrap()]);
    assert_eq!(
        again,
        format!("{id} already holds psap.millbrook.example incident 2026-004411; nothing new\n")
    );
    assert_eq!(
        sandbox.digest(),
        digest,
        "a second import changed the store"
    );
    let state: Value = serde_json::from_str(&sandbox.ok(&["state", "--json"])).unwrap();
    assert_eq!(state["calls"].as_object().unwrap().len(), 1);

    // The sender adds a note: only that note is taken, on the same call.
    let mut doc: Value = super::read_json(&file);
    doc["notesComponent"].as_array_mut().unwrap().push(json!({
        "$id": "note-3",
        "lastUpdateTimeStamp": "2026-03-02T14:09:00.000-07:00",
        "updatedByAgencyReference": { "$ref": "psap.millbrook.example" },
        "notesActionComments": "Man has walked north toward the park."
    }));
    let later = sandbox.tmp.path().join("later.json");
    std::fs::write(&later, doc.to_string()).unwrap();
    let said = sandbox.ok(&["import", "eido", later.to_str().unwrap()]);
    assert_eq!(
        said,
        format!(
            "{id} already holds psap.millbrook.example incident 2026-004411; 0 change(s), 1 new \
             note(s)\n"
        )
    );
    let state: Value = serde_json::from_str(&sandbox.ok(&["state", "--json"])).unwrap();
    assert_eq!(state["calls"].as_object().unwrap().len(), 1);
    let notes = state["calls"][&id]["notes"].as_array().unwrap();
    assert_eq!(
        notes.last().unwrap()["text"],
        "Man has walked north toward the park."
    );
    assert_eq!(notes.len(), 4);
}

#[test]
fn an_import_killed_midway_leaves_all_of_the_call_or_none() {
    // 200 notes: before, each was its own commit, and a SIGKILL 50 ms in left a call with part
    // of them. Now the call, its hand-off and every note are one commit.
    let sandbox = Sandbox::new();
    let mut doc = super::read_json(&fixture("handover-from-911.json"));
    let note = doc["notesComponent"][1].clone();
    doc["notesComponent"] = (0..200)
        .map(|i| {
            let mut n = note.clone();
            n["$id"] = json!(format!("n{i}"));
            n["notesActionComments"] = json!(format!("note {i} of 200"));
            n
        })
        .collect();
    let file = sandbox.tmp.path().join("big.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    for delay_ms in [5, 15, 30, 50, 80, 120] {
        let data = sandbox.tmp.path().join(format!("store-{delay_ms}"));
        let mut child = Command::new(BIN)
            .arg("--data")
            .arg(&data)
            .args(["import", "eido", file.to_str().unwrap()])
            .env("SWITCHBOARD_CONFIG", sandbox.tmp.path().join("config"))
            .env("SWITCHBOARD_OPERATOR", "cy")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        if !data.join("store").exists() {
            continue;
        }
        let out = Command::new(BIN)
            .arg("--data")
            .arg(&data)
            .args(["state", "--json"])
            .env("SWITCHBOARD_CONFIG", sandbox.tmp.path().join("config"))
            .output()
            .unwrap();
        if !out.status.success() {
            // Killed while the store was being created: nothing was acknowledged.
            continue;
        }
        let state: Value = serde_json::from_slice(&out.stdout).unwrap();
        for call in state["calls"].as_object().unwrap().values() {
            assert_eq!(
                call["notes"].as_array().unwrap().len(),
                201,
                "killed after {delay_ms} ms: a call with part of its notes"
            );
        }
    }
}

#[test]
fn the_report_counts_hand_offs_accepted_rejected_and_the_time_to_accept() {
    let sandbox = Sandbox::new();
    let mut ids = Vec::new();
    for n in 1..=3 {
        let mut doc = super::read_json(&fixture("handover-from-911.json"));
        doc["$id"] = json!(format!(
            "urn:emergency:uid:incidentid:r{n}:psap.millbrook.example"
        ));
        let file = sandbox.tmp.path().join(format!("h{n}.json"));
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = sandbox.ok(&["import", "eido", file.to_str().unwrap()]);
        ids.push(out.split_whitespace().next().unwrap().to_owned());
    }
    sandbox.ok(&["exec", &format!("accept {}", ids[0])]);
    sandbox.ok(&["exec", &format!("accept {}", ids[1])]);
    sandbox.ok(&[
        "exec",
        &format!("reject {} outside our service area", ids[2]),
    ]);
    // Accepting twice, or a call that was not handed in, is refused.
    let again = sandbox.run(&["exec", &format!("accept {}", ids[0])]);
    assert_eq!(
        String::from_utf8(again.stderr).unwrap(),
        format!(
            "switchboard: refused: the hand-off of {} from psap.millbrook.example is already \
             accepted\n",
            ids[0]
        )
    );
    let v: Value = serde_json::from_str(&sandbox.ok(&["report", "--format", "json"])).unwrap();
    let handed_in = &v["handoffs"]["handed_in"];
    assert_eq!(handed_in["count"], 3);
    assert_eq!(handed_in["accepted"], 2);
    assert_eq!(handed_in["rejected"], 1);
    assert!(handed_in["median_to_accept_s"].as_f64().unwrap() >= 0.0);
    assert_eq!(v["handoffs"]["handed_out"]["count"], 0);
    let text = sandbox.ok(&["report"]);
    assert!(
        text.contains("handed in        3         2         1"),
        "{text}"
    );
    // The chronology shows each step.
    let log = sandbox.ok(&["log", "--call", &ids[2]]);
    assert!(
        log.contains("hand-off from psap.millbrook.example"),
        "{log}"
    );
    assert!(log.contains("rejected: outside our service area"), "{log}");
}
