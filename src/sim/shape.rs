//! Item answers shaped as the public item resource documents them (the seed
//! `mailbox-item-resource.txt`, Veeam's "/RestoreSessions/{id}/Organization/Mailboxes/{id}/Items/{id}"
//! page), on top of what the OpenAPI schema lists:
//!
//! - a journal entry (`IPM.Activity`) carries `startDate` (the seed's name) beside `startTime` (the
//!   schema's), and its `duration` is in hours;
//! - a sticky note carries `name` (the seed's) beside `subject`, and its `date`;
//! - an appointment's attachments carry `size` (the seed's, a string) beside `sizeBytes` (the schema's);
//! - every item carries `_actions` (restoretoOriginallocation, restoreTo, exporttoPst, savetoMsg,
//!   sendtoDefaultaddress, sendtoDifferentaddress), each `{uri, method: "POST"}`. The seed is a v3 page
//!   whose actions all point at one `.../action` endpoint; v6 and later have an endpoint per action, so the
//!   uris here point at those (assumption: the real server's `_actions` follow its own routes).
//!
//! The composed item schema of the spec lists `startDate`, `name`, `date`, `duration` and `_actions`, so
//! these answers still validate; only the attachment's `size` is outside the schema (the seed has it).

use serde_json::{Map, Value, json};

/// Shapes an item answer, or every item of a page (`results`), in place.
pub fn items(body: &mut Value) {
    match body {
        Value::Object(m) if m.contains_key("results") => {
            if let Some(Value::Array(rows)) = m.get_mut("results") {
                rows.iter_mut().for_each(item);
            }
        }
        Value::Object(_) => item(body),
        _ => {}
    }
}

/// The action names of the seed, with the v6+ endpoint each maps to (relative to the item's own URL).
pub const ACTIONS: [(&str, &str); 6] = [
    ("restoretoOriginallocation", "restore"),
    ("restoreTo", "restoreTo"),
    ("exporttoPst", "exportToPst"),
    ("savetoMsg", "save"),
    ("sendtoDefaultaddress", "sendToDefaultAddress"),
    ("sendtoDifferentaddress", "sendToDifferentAddress"),
];

fn item(v: &mut Value) {
    let Value::Object(m) = v else { return };
    let class = m
        .get("itemClass")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let starts = |p: &str| class == p || class.starts_with(&format!("{p}."));
    if (starts("IPM.ACTIVITY") || starts("IPM.JOURNAL"))
        && !m.contains_key("startDate")
        && let Some(t) = m.get("startTime").cloned()
    {
        m.insert("startDate".into(), t);
    }
    if starts("IPM.STICKYNOTE")
        && !m.contains_key("name")
        && let Some(s) = m.get("subject").cloned()
    {
        m.insert("name".into(), s);
    }
    if starts("IPM.APPOINTMENT")
        && let Some(Value::Array(atts)) = m.get_mut("attachments")
    {
        for a in atts.iter_mut() {
            if let Value::Object(a) = a
                && let Some(n) = a.get("sizeBytes").and_then(Value::as_i64)
            {
                a.insert("size".into(), Value::String(n.to_string()));
            }
        }
    }
    if !m.contains_key("_actions")
        && let Some(own) = m
            .get("_links")
            .and_then(|l| l.get("self"))
            .and_then(|s| s.get("href"))
            .and_then(Value::as_str)
            .map(str::to_string)
    {
        let own = own.split('?').next().unwrap_or_default().to_string();
        let actions: Map<String, Value> = ACTIONS
            .iter()
            .map(|(name, path)| {
                (
                    (*name).to_string(),
                    json!({ "uri": format!("{own}/{path}"), "method": "POST" }),
                )
            })
            .collect();
        m.insert("_actions".into(), Value::Object(actions));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_shapes() {
        let mut page = json!({ "offset": 0, "limit": 30, "results": [
            { "id": "j", "itemClass": "IPM.Activity", "startTime": "2024-01-01T10:00:00Z", "duration": 2,
              "_links": { "self": { "href": "/v7/RestoreSessions/s/organization/mailboxes/m/items/j" } } },
            { "id": "n", "itemClass": "IPM.StickyNote", "subject": "Important", "date": "2024-01-01T10:00:00Z" },
            { "id": "a", "itemClass": "IPM.Appointment", "attachments": [{ "name": "x.pdf", "sizeBytes": 1234 }] },
            { "id": "m", "itemClass": "IPM.Note", "attachments": [{ "name": "x.pdf", "sizeBytes": 1234 }] },
        ]});
        items(&mut page);
        let r = &page["results"];
        assert_eq!(r[0]["startDate"], "2024-01-01T10:00:00Z");
        assert_eq!(
            r[0]["_actions"]["restoreTo"],
            json!({ "uri": "/v7/RestoreSessions/s/organization/mailboxes/m/items/j/restoreTo", "method": "POST" })
        );
        assert_eq!(r[0]["_actions"].as_object().map(Map::len), Some(6));
        assert_eq!(r[1]["name"], "Important");
        assert_eq!(r[2]["attachments"][0]["size"], "1234");
        assert!(r[3]["attachments"][0].get("size").is_none());
    }
}
