//! The notes a team writes as its call ends, by disposition: shared by the scene that picks one and
//! the world that writes one for a call cancelled before anyone arrived.

use crate::domain::Disposition;

pub(super) fn scene_notes(d: Disposition) -> &'static [&'static str] {
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
        Disposition::Duplicate => &["second caller about the same person; merged"],
    }
}
