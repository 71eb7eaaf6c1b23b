//! The messages Waymark sends, each as plain text and HTML from one small template. Names and
//! titles come from people, so the HTML escapes them and subjects drop control characters.

use crate::db::mail::Letter;

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// One line of a header: no control characters (so no header can be smuggled in).
fn one_line(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// A letter of `paragraphs` (plain text, escaped for the HTML) around one button to `link`.
fn letter(
    to: &str,
    subject: &str,
    paragraphs: &[&str],
    action: &str,
    link: &str,
    after: &str,
) -> Letter {
    let mut text = String::new();
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family: sans-serif; line-height: 1.5\">",
    );
    for paragraph in paragraphs {
        text.push_str(paragraph);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(paragraph)));
    }
    text.push_str(&format!("{action}: {link}\n\n{after}\n"));
    html.push_str(&format!(
        "<p><a href=\"{href}\">{label}</a></p><p style=\"color: #666\">{after}<br>{href}</p></body></html>",
        href = escape(link),
        label = escape(action),
        after = escape(after),
    ));
    Letter {
        to: to.to_owned(),
        subject: one_line(subject),
        text,
        html,
        unsubscribe: None,
    }
}

/// A link to set a new password, valid for `minutes`.
pub fn password_reset(to: &str, name: &str, link: &str, minutes: i64) -> Letter {
    let hello = format!("Hello {name},");
    let why = format!(
        "Someone (we hope you) asked to set a new password for your Waymark account. The link \
         below works once, for {minutes} minutes."
    );
    letter(
        to,
        "Set a new Waymark password",
        &[&hello, &why],
        "Set a new password",
        link,
        "If you did not ask for this, ignore this email: your password stays as it is.",
    )
}

/// An invitation to join Waymark (and a map), which only `to` can accept.
pub fn invitation(
    to: &str,
    inviter: &str,
    map: Option<(&str, &str)>,
    link: &str,
    days: i64,
) -> Letter {
    let offer = match map {
        Some((title, role)) => format!(" to the map “{title}” as {role}"),
        None => String::new(),
    };
    let what = format!(
        "{inviter} invited you to Waymark{offer}, where teams build customer journey maps together."
    );
    let how = format!(
        "Accept within {days} days to create your account; the invitation is for this email address."
    );
    letter(
        to,
        &format!("{inviter} invited you to Waymark"),
        &[&what, &how],
        "Accept the invitation",
        link,
        "If you were not expecting this, ignore this email.",
    )
}

/// A link to confirm that `to` is the new account's address, valid for `days`.
pub fn verification(to: &str, name: &str, link: &str, days: i64) -> Letter {
    let hello = format!("Hello {name},");
    let why = format!(
        "Please confirm that this is your email address for Waymark: open the link below and \
         press the button. It works for {days} days."
    );
    letter(
        to,
        "Confirm your email for Waymark",
        &[&hello, &why],
        "Confirm my email",
        link,
        "If you did not make a Waymark account, ignore this email.",
    )
}

/// One map's part of a notification digest: its title, a link to it, and what happened there.
pub struct DigestPart {
    pub title: String,
    pub link: String,
    pub lines: Vec<String>,
}

/// The notifications gathered for one person: a part per map, then how to stop them.
/// `about` names the kinds the unsubscribe link switches off ("mentions and replies").
pub fn digest(
    to: &str,
    name: &str,
    parts: &[DigestPart],
    about: &str,
    unsubscribe: &str,
    settings: &str,
) -> Letter {
    let count: usize = parts.iter().map(|p| p.lines.len()).sum();
    let subject = match parts {
        [one] => format!("Waymark: {} on “{}”", updates(count), one.title),
        _ => format!("Waymark: {} on {} maps", updates(count), parts.len()),
    };
    let hello = format!("Hello {name},");
    let mut text = format!("{hello}\n\n");
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family: sans-serif; line-height: 1.5\"><p>{}</p>",
        escape(&hello)
    );
    for part in parts {
        text.push_str(&format!("{} ({})\n", part.title, part.link));
        html.push_str(&format!(
            "<h2 style=\"font-size: 1.1em\"><a href=\"{}\">{}</a></h2><ul>",
            escape(&part.link),
            escape(&part.title)
        ));
        for line in &part.lines {
            text.push_str(&format!("- {line}\n"));
            html.push_str(&format!("<li>{}</li>", escape(line)));
        }
        text.push('\n');
        html.push_str("</ul>");
    }
    let why = format!("You get these emails about {about}.");
    text.push_str(&format!(
        "{why}\nStop them: {unsubscribe}\nChoose which emails you get: {settings}\n"
    ));
    html.push_str(&format!(
        "<p style=\"color: #666\">{why} <a href=\"{}\">Stop them</a> · \
         <a href=\"{}\">Choose which emails you get</a></p></body></html>",
        escape(unsubscribe),
        escape(settings),
        why = escape(&why),
    ));
    Letter {
        to: to.to_owned(),
        subject: one_line(&subject),
        text,
        html,
        unsubscribe: Some(unsubscribe.to_owned()),
    }
}

fn updates(count: usize) -> String {
    if count == 1 {
        "1 update".to_owned()
    } else {
        format!("{count} updates")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_people_wrote_is_escaped_in_html_and_kept_on_one_line_in_subjects() {
        let letter = invitation(
            "bob@example.com",
            "Eve <script>\r\nBcc: x@evil",
            Some(("Map & \"co\"", "editor")),
            "https://maps.example.com/invite/abc",
            7,
        );
        assert!(!letter.html.contains("<script>"));
        assert!(letter.html.contains("Eve &lt;script&gt;"));
        assert!(letter.html.contains("Map &amp; &quot;co&quot;"));
        assert!(!letter.subject.contains('\n') && !letter.subject.contains('\r'));
        assert!(letter.text.contains("https://maps.example.com/invite/abc"));
        assert!(letter
            .html
            .contains("href=\"https://maps.example.com/invite/abc\""));
    }

    #[test]
    fn a_digest_groups_lines_by_map_and_carries_its_unsubscribe_link() {
        let parts = [
            DigestPart {
                title: "Checkout <b>".into(),
                link: "https://m.example/maps/1".into(),
                lines: vec!["Eve mentioned you: “<script>”".into(), "two".into()],
            },
            DigestPart {
                title: "Onboarding".into(),
                link: "https://m.example/maps/2".into(),
                lines: vec!["three".into()],
            },
        ];
        let letter = digest(
            "ada@example.com",
            "Ada",
            &parts,
            "mentions",
            "https://m.example/u/x",
            "https://m.example/account",
        );
        assert_eq!(letter.subject, "Waymark: 3 updates on 2 maps");
        assert!(letter.html.contains("Checkout &lt;b&gt;"));
        assert!(!letter.html.contains("<script>"));
        assert!(letter.text.contains("- Eve mentioned you: “<script>”"));
        assert!(letter.text.contains("Stop them: https://m.example/u/x"));
        assert_eq!(letter.unsubscribe.as_deref(), Some("https://m.example/u/x"));
        let one = digest("a@b.c", "A", &parts[1..], "x", "u", "s");
        assert_eq!(one.subject, "Waymark: 1 update on “Onboarding”");
    }
}
