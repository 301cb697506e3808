//! Folder and item ids.
//!
//! Real Exchange ids are base64 strings that contain `/`, `+` and `=`, so clients must percent-encode them in
//! paths and queries. The emulator's ids look the same and carry everything needed to regenerate the object:
//! (organization, mailbox, folder[, item index]). A checksum keyed by the seed makes garbled ids (and ids of
//! another seed) unknown, so a request with one gets a 404.
//!
//! Layout (before base64): `00 03 24` ("AAMk", as EWS ids start) · `FB FF BF` ("+/+/") · 4-byte check ·
//! payload xor a keystream derived from the check. Folder payload: kind, org, mailbox (u16), folder (u16)
//! → 16 bytes → 24 chars ending in `==`. Item payload adds the index (u32) → 20 bytes → 28 chars ending in `=`.

use super::rng::{hash, mix};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const HEADER: [u8; 3] = [0x00, 0x03, 0x24];
const MAGIC: [u8; 3] = [0xFB, 0xFF, 0xBF];
const KIND_FOLDER: u8 = 1;
const KIND_ITEM: u8 = 2;

/// A mailbox: organization index and mailbox index within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxKey {
    pub org: u8,
    pub mbx: u16,
}

/// A folder of a mailbox (index into the mailbox's folder table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderKey {
    pub mailbox: MailboxKey,
    pub folder: u16,
}

/// An item of a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey {
    pub folder: FolderKey,
    pub idx: u32,
}

fn payload(kind: u8, f: FolderKey, idx: Option<u32>) -> Vec<u8> {
    let mut p = vec![kind, f.mailbox.org];
    p.extend_from_slice(&f.mailbox.mbx.to_be_bytes());
    p.extend_from_slice(&f.folder.to_be_bytes());
    if let Some(i) = idx {
        p.extend_from_slice(&i.to_be_bytes());
    }
    p
}

fn check(seed: u64, payload: &[u8]) -> u32 {
    let words: Vec<u64> = std::iter::once(seed)
        .chain(payload.iter().map(|b| u64::from(*b)))
        .collect();
    (hash(&words) >> 16) as u32
}

fn keystream(seed: u64, check: u32, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut state = seed ^ (u64::from(check) << 7);
    while out.len() < len {
        state = mix(state);
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn encode(seed: u64, payload: Vec<u8>) -> String {
    let c = check(seed, &payload);
    let ks = keystream(seed, c, payload.len());
    let mut bytes = Vec::with_capacity(10 + payload.len());
    bytes.extend_from_slice(&HEADER);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&c.to_be_bytes());
    bytes.extend(payload.iter().zip(ks).map(|(a, b)| a ^ b));
    STANDARD.encode(bytes)
}

fn decode(seed: u64, id: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD.decode(id.trim()).ok()?;
    if bytes.len() < 10 || bytes[0..3] != HEADER || bytes[3..6] != MAGIC {
        return None;
    }
    let c = u32::from_be_bytes([bytes[6], bytes[7], bytes[8], bytes[9]]);
    let body = &bytes[10..];
    let ks = keystream(seed, c, body.len());
    let payload: Vec<u8> = body.iter().zip(ks).map(|(a, b)| a ^ b).collect();
    (check(seed, &payload) == c).then_some(payload)
}

fn folder_of(p: &[u8]) -> FolderKey {
    FolderKey {
        mailbox: MailboxKey {
            org: p[1],
            mbx: u16::from_be_bytes([p[2], p[3]]),
        },
        folder: u16::from_be_bytes([p[4], p[5]]),
    }
}

pub fn encode_folder(seed: u64, f: FolderKey) -> String {
    encode(seed, payload(KIND_FOLDER, f, None))
}

pub fn encode_item(seed: u64, i: ItemKey) -> String {
    encode(seed, payload(KIND_ITEM, i.folder, Some(i.idx)))
}

/// The folder an id names (whether the folder exists is the caller's question).
pub fn decode_folder(seed: u64, id: &str) -> Option<FolderKey> {
    let p = decode(seed, id)?;
    (p.len() == 6 && p[0] == KIND_FOLDER).then(|| folder_of(&p))
}

/// The item an id names (whether the item exists is the caller's question).
pub fn decode_item(seed: u64, id: &str) -> Option<ItemKey> {
    let p = decode(seed, id)?;
    (p.len() == 10 && p[0] == KIND_ITEM).then(|| ItemKey {
        folder: folder_of(&p),
        idx: u32::from_be_bytes([p[6], p[7], p[8], p[9]]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_contain_awkward_characters() {
        let f = FolderKey {
            mailbox: MailboxKey { org: 1, mbx: 37 },
            folder: 4,
        };
        let fid = encode_folder(42, f);
        assert!(fid.contains('/') && fid.contains('+') && fid.ends_with("=="), "{fid}");
        assert_eq!(decode_folder(42, &fid), Some(f));
        assert_eq!(decode_item(42, &fid), None, "a folder id is not an item id");
        assert_eq!(decode_folder(43, &fid), None, "another seed's id is unknown");

        for idx in [0u32, 1, 2599, 999_999, u32::MAX] {
            let i = ItemKey { folder: f, idx };
            let iid = encode_item(42, i);
            assert!(iid.contains('/') && iid.contains('+') && iid.ends_with('='), "{iid}");
            assert_eq!(decode_item(42, &iid), Some(i));
        }
    }

    #[test]
    fn garbled_ids_are_rejected() {
        let f = FolderKey {
            mailbox: MailboxKey { org: 0, mbx: 0 },
            folder: 0,
        };
        let id = encode_item(42, ItemKey { folder: f, idx: 7 });
        let mut chars: Vec<char> = id.chars().collect();
        let n = chars.len();
        chars[n - 5] = if chars[n - 5] == 'A' { 'B' } else { 'A' };
        let garbled: String = chars.into_iter().collect();
        assert_eq!(decode_item(42, &garbled), None);
        assert_eq!(decode_item(42, "not base64 at all!"), None);
        assert_eq!(decode_item(42, ""), None);
        assert_eq!(decode_folder(42, "AAMk"), None);
    }

    #[test]
    fn different_objects_have_different_ids() {
        let a = encode_folder(
            42,
            FolderKey {
                mailbox: MailboxKey { org: 0, mbx: 0 },
                folder: 0,
            },
        );
        let b = encode_folder(
            42,
            FolderKey {
                mailbox: MailboxKey { org: 0, mbx: 0 },
                folder: 1,
            },
        );
        assert_ne!(a, b);
        assert_ne!(a[10..], b[10..], "ids should not share their tails");
    }
}
