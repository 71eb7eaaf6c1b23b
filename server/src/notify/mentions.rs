//! Who a comment mentions: `@` followed by someone's name (any case), their name without
//! spaces, or their email's local part, ending where a word would (`@Ada Lovelace,` and
//! `@ada.` mention Ada Lovelace <ada@example.com>, unless someone is called Ada). The longest
//! name wins, so `@Ada Lovelace` mentions her and not another member called "Ada". An `@`
//! inside a word (an email address) mentions nobody.

/// The longest handle: a name (an email's local part is shorter still).
const MAX_HANDLE_CHARS: usize = app::domain::text::MAX_NAME_CHARS;

/// Someone who may be mentioned: their name and email.
pub struct Person<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

/// The indexes in `people` of those `text` mentions, each once, in order of first mention.
pub fn mentioned(text: &str, people: &[Person<'_>]) -> Vec<usize> {
    let handles: Vec<[String; 3]> = people
        .iter()
        .map(|p| {
            let local = p.email.split('@').next().unwrap_or_default();
            [
                p.name.to_lowercase(),
                p.name.split_whitespace().collect::<String>().to_lowercase(),
                local.to_lowercase(),
            ]
        })
        .collect();
    let mut found = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        let starts = c == '@' && !previous.is_some_and(char::is_alphanumeric);
        previous = Some(c);
        if !starts {
            continue;
        }
        // No handle is longer than a name, so only that much after the `@` is looked at: a
        // comment of thousands of `@`s costs thousands of short looks, not their square.
        let rest: String = text[at + 1..]
            .chars()
            .take(MAX_HANDLE_CHARS + 2)
            .collect::<String>()
            .to_lowercase();
        let best = handles
            .iter()
            .enumerate()
            .flat_map(|(who, names)| {
                // On a tie a name beats an email's local part: "@ada" is the member called Ada.
                names
                    .iter()
                    .enumerate()
                    .map(move |(rank, name)| (who, rank, name))
            })
            .filter(|(_, _, name)| !name.is_empty() && names_at_start(&rest, name))
            .max_by_key(|(_, rank, name)| (name.len(), std::cmp::Reverse(*rank)));
        if let Some((who, _, _)) = best {
            if !found.contains(&who) {
                found.push(who);
            }
        }
    }
    found
}

/// Whether `rest` starts with `name`, followed by the end or by something that is not part of
/// a word (a full stop ends a sentence, but `@ada.l` is not `@ada`).
fn names_at_start(rest: &str, name: &str) -> bool {
    let Some(after) = rest.strip_prefix(name) else {
        return false;
    };
    let mut next = after.chars();
    match next.next() {
        None => true,
        Some(c) if c.is_alphanumeric() || c == '_' => false,
        Some('.' | '-') => !next.next().is_some_and(char::is_alphanumeric),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> Vec<Person<'static>> {
        vec![
            Person {
                name: "Ada Lovelace",
                email: "ada@example.com",
            },
            Person {
                name: "Ada",
                email: "ada2@example.com",
            },
            Person {
                name: "Grace Hopper",
                email: "grace.hopper@example.com",
            },
            Person {
                name: "Émile",
                email: "emile@example.com",
            },
        ]
    }

    #[test]
    fn a_mention_is_a_name_its_spaceless_form_or_an_email_local_part() {
        let people = team();
        assert_eq!(mentioned("thanks @Ada Lovelace, see above", &people), [0]);
        assert_eq!(mentioned("@adalovelace look", &people), [0]);
        assert_eq!(mentioned("ask @ada", &people), [1]);
        assert_eq!(mentioned("ask @Ada about it", &people), [1]);
        assert_eq!(mentioned("@grace.hopper and @Émile.", &people), [2, 3]);
        assert_eq!(mentioned("@ÉMILE!", &people), [3]);
    }

    #[test]
    fn emails_words_and_unknown_names_mention_nobody() {
        let people = team();
        assert!(mentioned("write to ada@example.com", &people).is_empty());
        assert!(mentioned("@Adam", &people).is_empty());
        assert!(mentioned("@ada.lovelace", &people).is_empty());
        assert!(mentioned("@nobody", &people).is_empty());
        assert!(mentioned("@", &people).is_empty());
        assert!(mentioned("", &[]).is_empty());
    }

    #[test]
    fn a_comment_of_nothing_but_ats_mentions_nobody_and_a_late_mention_still_counts() {
        let people = team();
        assert!(mentioned(&"@".repeat(20_000), &people).is_empty());
        let long = format!("{}@Ada Lovelace", "x ".repeat(10_000));
        assert_eq!(mentioned(&long, &people), [0]);
    }

    #[test]
    fn each_person_is_mentioned_once() {
        let people = team();
        assert_eq!(
            mentioned("@Grace Hopper @grace.hopper @Ada Lovelace", &people),
            [2, 0]
        );
    }
}
