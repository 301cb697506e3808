//! Answers that are too much: the hostile server of issue 13 ("no cap on what a server sends"), for the
//! client's limits to be tested against. Applied by the fault layer ([`super::Faults::flood`]) to the
//! successful JSON answers of the GETs matching [`super::Faults::routes`]:
//!
//! - [`Flood::Rows`]: a page of N rows whatever `limit` asked (copies of the first row, each with its
//!   own id), streamed as it is made, so a million rows cost the emulator nothing;
//! - [`Flood::LongStrings`]: the first `count` string values under `results` made `bytes` long;
//! - [`Flood::Deep`]: the first row gets a field of N nested arrays, streamed.
//!
//! A trickling body is [`super::SlowBody`].

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::Response;
use serde_json::Value;

/// How an answer is made too much (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flood {
    /// A page of this many rows.
    Rows(u64),
    /// The first `count` strings under `results` made `bytes` long.
    LongStrings { bytes: usize, count: usize },
    /// A field nested this deep in the first row.
    Deep(usize),
}

impl std::str::FromStr for Flood {
    type Err = String;
    /// `rows=1000000`, `strings=10485760` (3 strings) or `strings=10485760x5`, `depth=1000000`.
    fn from_str(s: &str) -> Result<Flood, String> {
        let bad = || format!("{s:?}: give rows=N, strings=BYTES (or BYTESxCOUNT) or depth=N");
        let (k, v) = s.trim().split_once('=').ok_or_else(bad)?;
        let num = |t: &str| t.trim().replace('_', "").parse::<u64>().map_err(|_| bad());
        match k.trim().to_ascii_lowercase().as_str() {
            "rows" => Ok(Flood::Rows(num(v)?)),
            "depth" => Ok(Flood::Deep(num(v)? as usize)),
            "strings" => {
                let (b, c) = v.split_once(['x', 'X']).unwrap_or((v, "3"));
                Ok(Flood::LongStrings {
                    bytes: num(b)? as usize,
                    count: num(c)? as usize,
                })
            }
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Flood {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Flood::Rows(n) => write!(f, "pages of {n} rows whatever the limit"),
            Flood::LongStrings { bytes, count } => write!(f, "{count} strings of {bytes} bytes per answer"),
            Flood::Deep(n) => write!(f, "a field nested {n} levels deep"),
        }
    }
}

/// How many bytes each streamed piece holds (about).
const PIECE: usize = 64 << 10;

fn streamed(
    parts: axum::http::response::Parts,
    pieces: impl futures_util::Stream<Item = Bytes> + Send + 'static,
) -> Response {
    use futures_util::StreamExt;
    let mut parts = parts;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::TRANSFER_ENCODING);
    Response::from_parts(parts, Body::from_stream(pieces.map(Ok::<Bytes, std::io::Error>)))
}

/// The answer made too much, or `None` when it is not a JSON page this flood applies to (the caller then
/// sends `bytes` as they were).
pub(crate) fn apply(
    flood: Flood,
    parts: axum::http::response::Parts,
    bytes: &Bytes,
) -> Result<Response, axum::http::response::Parts> {
    let Ok(mut page) = serde_json::from_slice::<Value>(bytes) else {
        return Err(parts);
    };
    let Some(first) = page
        .get("results")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .cloned()
    else {
        return Err(parts);
    };
    match flood {
        Flood::Rows(n) => {
            page["results"] = Value::Array(Vec::new());
            let text = page.to_string();
            let Some(at) = text.find("\"results\":[]") else {
                return Err(parts);
            };
            let head = Bytes::from(text[..at + "\"results\":[".len()].to_string());
            let tail = Bytes::from(text[at + "\"results\":[".len()..].to_string());
            let id = first.get("id").and_then(Value::as_str).unwrap_or("row").to_string();
            let rows = futures_util::stream::unfold(0u64, move |i| {
                let (first, id) = (first.clone(), id.clone());
                async move {
                    if i >= n {
                        return None;
                    }
                    let mut piece = Vec::with_capacity(PIECE + 4096);
                    let mut k = i;
                    while k < n && piece.len() < PIECE {
                        if k > 0 {
                            piece.push(b',');
                        }
                        let mut row = first.clone();
                        row["id"] = Value::from(format!("{id}-flood-{k}"));
                        piece.extend_from_slice(row.to_string().as_bytes());
                        k += 1;
                    }
                    Some((Bytes::from(piece), k))
                }
            });
            use futures_util::StreamExt;
            let all = futures_util::stream::iter([head])
                .chain(rows)
                .chain(futures_util::stream::iter([tail]));
            Ok(streamed(parts, all))
        }
        Flood::LongStrings { bytes: len, count } => {
            let mut left = count;
            if let Some(results) = page.get_mut("results") {
                lengthen(results, len, &mut left);
            }
            let mut parts = parts;
            parts.headers.remove(header::CONTENT_LENGTH);
            Ok(Response::from_parts(parts, Body::from(page.to_string())))
        }
        Flood::Deep(depth) => {
            const HOLE: &str = "\"__vex_flood_deep__\"";
            if let Some(row) = page["results"].get_mut(0).and_then(Value::as_object_mut) {
                row.insert("deep".into(), Value::from("__vex_flood_deep__"));
            }
            let text = page.to_string();
            let Some(at) = text.find(HOLE) else {
                return Err(parts);
            };
            let head = Bytes::from(text[..at].to_string());
            let tail = Bytes::from(text[at + HOLE.len()..].to_string());
            let brackets = |b: u8| {
                futures_util::stream::unfold(0usize, move |done| async move {
                    (done < depth).then(|| {
                        let n = (depth - done).min(PIECE);
                        (Bytes::from(vec![b; n]), done + n)
                    })
                })
            };
            use futures_util::StreamExt;
            let all = futures_util::stream::iter([head])
                .chain(brackets(b'['))
                .chain(brackets(b']'))
                .chain(futures_util::stream::iter([tail]));
            Ok(streamed(parts, all))
        }
    }
}

/// Makes the first `left` strings (values, not keys) `len` bytes long, in document order.
fn lengthen(v: &mut Value, len: usize, left: &mut usize) {
    if *left == 0 {
        return;
    }
    match v {
        Value::String(s) => {
            let mut long = String::with_capacity(len);
            long.push_str(s);
            while long.len() < len {
                long.push_str(" and on");
            }
            long.truncate(len);
            *s = long;
            *left -= 1;
        }
        Value::Array(a) => a.iter_mut().for_each(|x| lengthen(x, len, left)),
        // Ids and links stay usable: the strings of content grow.
        Value::Object(m) => m
            .iter_mut()
            .filter(|(k, _)| *k != "id" && !k.starts_with('_'))
            .for_each(|(_, x)| lengthen(x, len, left)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;
    use futures_util::StreamExt;

    async fn body_of(r: Response) -> Vec<u8> {
        let mut s = r.into_body().into_data_stream();
        let mut out = Vec::new();
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        out
    }

    fn page() -> Bytes {
        Bytes::from(
            serde_json::json!({"offset": 0, "limit": 2, "results": [{"id": "a", "subject": "S", "to": "t"}, {"id": "b"}], "_links": {}})
                .to_string(),
        )
    }

    fn parts() -> axum::http::response::Parts {
        axum::http::StatusCode::OK.into_response().into_parts().0
    }

    #[tokio::test]
    async fn floods_make_what_they_say() {
        let r = apply(Flood::Rows(1000), parts(), &page()).unwrap();
        let v: Value = serde_json::from_slice(&body_of(r).await).unwrap();
        let rows = v["results"].as_array().unwrap();
        assert_eq!(rows.len(), 1000);
        assert_eq!(rows[999]["id"], "a-flood-999");
        assert_eq!(v["limit"], 2);
        let r = apply(Flood::LongStrings { bytes: 1000, count: 2 }, parts(), &page()).unwrap();
        let v: Value = serde_json::from_slice(&body_of(r).await).unwrap();
        let long = v["results"][0]
            .as_object()
            .unwrap()
            .values()
            .filter(|x| x.as_str().is_some_and(|s| s.len() == 1000))
            .count();
        assert_eq!(long, 2);
        let r = apply(Flood::Deep(100_000), parts(), &page()).unwrap();
        let text = body_of(r).await;
        assert!(text.len() > 200_000);
        assert!(
            serde_json::from_slice::<Value>(&text).is_err(),
            "deeper than serde_json goes"
        );
        assert!(apply(Flood::Rows(5), parts(), &Bytes::from_static(b"[1,2]")).is_err());
        assert_eq!("rows=1_000_000".parse(), Ok(Flood::Rows(1_000_000)));
        assert_eq!(
            "strings=10485760".parse(),
            Ok(Flood::LongStrings {
                bytes: 10_485_760,
                count: 3
            })
        );
        assert_eq!("depth=9".parse(), Ok(Flood::Deep(9)));
        assert!("lots".parse::<Flood>().is_err());
    }
}
