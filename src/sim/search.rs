//! A small subset of the Windows Search (AQS) syntax the VB365 search endpoints take:
//! `from:x`, `to:x` (also cc/bcc/attendees), `subject:"several words"` or `subject:word`, and free words or
//! `"quoted phrases"` that must all occur in the subject (or name). Matching is case-insensitive substring
//! matching; `AND` is implied, other property filters (`received:`, `hasattachments:`, ...) are ignored.
//! A quote left open is a syntax error (the server answers 400), as is a query with nothing to match.

use super::data::Summary;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub subject: Vec<String>,
    pub words: Vec<String>,
}

/// Splits the query into (property, value) tokens; quotes group words. Err when a quote is not closed.
fn tokens(q: &str) -> Result<Vec<(Option<String>, String)>, String> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let n = chars.len();
    while i < n {
        while i < n && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= n {
            break;
        }
        let mut key = None;
        // A property name: letters followed by ':'.
        let mut j = i;
        while j < n && chars[j].is_alphanumeric() {
            j += 1;
        }
        if j > i && j < n && chars[j] == ':' {
            key = Some(chars[i..j].iter().collect::<String>().to_lowercase());
            i = j + 1;
        }
        let mut value = String::new();
        if i < n && chars[i] == '"' {
            i += 1;
            while i < n && chars[i] != '"' {
                value.push(chars[i]);
                i += 1;
            }
            if i >= n {
                return Err("a quote is not closed".into());
            }
            i += 1; // the closing quote
        } else {
            while i < n && !chars[i].is_whitespace() {
                value.push(chars[i]);
                i += 1;
            }
        }
        out.push((key, value));
    }
    Ok(out)
}

/// Reads a query; Err (a syntax error, for a 400) when a quote is not closed.
pub fn parse(q: &str) -> Result<Query, String> {
    let mut query = Query::default();
    for (key, value) in tokens(q)? {
        let v = value.trim().to_lowercase();
        if v.is_empty() {
            continue;
        }
        match key.as_deref() {
            None if value == "AND" || value == "OR" => {}
            None => query.words.push(v),
            Some("from") => query.from.push(v),
            Some("to") | Some("cc") | Some("bcc") | Some("participants") => query.to.push(v),
            Some("subject") | Some("title") => query.subject.push(v),
            Some(_) => {}
        }
    }
    Ok(query)
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.from.is_empty() && self.to.is_empty() && self.subject.is_empty() && self.words.is_empty()
    }

    pub fn matches(&self, s: &Summary) -> bool {
        let has =
            |field: &Option<String>, needle: &str| field.as_deref().is_some_and(|f| f.to_lowercase().contains(needle));
        self.from.iter().all(|w| has(&s.from, w))
            && self.to.iter().all(|w| has(&s.to, w))
            && self.subject.iter().all(|w| has(&s.title, w))
            && self.words.iter().all(|w| has(&s.title, w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Query {
        super::parse(q).expect("valid query")
    }

    #[test]
    fn parses_properties_phrases_and_words() {
        let q = parse(
            r#"from:zoe.muller@contoso.com subject:"Budget review" invoice AND "Q3 report" received:2024 To:Bob"#,
        );
        assert_eq!(q.from, ["zoe.muller@contoso.com"]);
        assert_eq!(q.subject, ["budget review"]);
        assert_eq!(q.words, ["invoice", "q3 report"]);
        assert_eq!(q.to, ["bob"]);
        assert!(parse("   ").is_empty());
        assert!(super::parse(r#"subject:"unterminated"#).is_err());
        assert!(super::parse(r#"from:alice ""#).is_err());
        assert_eq!(parse(r#"subject:"""#), Query::default());
        assert_eq!(parse("Réunion").words, ["réunion"]);
    }

    #[test]
    fn matches_case_insensitively() {
        let s = Summary {
            class: "IPM.Note".into(),
            title: Some("Re: Budget Review 2024".into()),
            from: Some("Zoe.Muller@contoso.com".into()),
            to: Some("a@x.com; b@y.com".into()),
        };
        assert!(parse("budget").matches(&s));
        assert!(parse(r#"subject:"budget review" from:zoe"#).matches(&s));
        assert!(parse("to:b@y").matches(&s));
        assert!(!parse("to:c@z").matches(&s));
        assert!(!parse("budget invoice").matches(&s));
        assert!(!parse("from:bob").matches(&s));
    }
}
