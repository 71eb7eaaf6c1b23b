//! The shared lists every map draws on, beside the persona library (`domain::library`):
//!
//! - **Metric definitions**: a named measure with what it means and the target the
//!   organisation holds it to ("Checkout CSAT: asked after payment, 5-point, target 80%"). A
//!   map takes one as a target of its own (`Target::metric`) on the whole map or a stage, and a
//!   change to the definition's target reaches every map that took it.
//! - **Channels**: the organisation's names for where customers meet it, each with the other
//!   labels feedback and events arrive with ("ios", "android" for "Mobile app"). Labels are
//!   stored under the channel's name, so every map, source and filter speaks of one channel
//!   by one name.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::domain::feedback::MAX_LABEL_CHARS;
use crate::domain::ids::LibraryId;
use crate::domain::targets::{Measure, Target};
use crate::domain::text::{FieldError, Name, Text};

/// Most metric definitions, and most channels, in the library.
pub const MAX_DEFINITIONS: usize = 200;
/// Most other labels one channel answers to.
pub const MAX_ALIASES: usize = 20;

/// A metric the organisation tracks, with the target it is held to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricDefinition {
    pub id: LibraryId,
    pub name: Name,
    pub measure: Measure,
    /// How it is measured: the question, when it is asked, of whom.
    pub description: Text,
    /// Its target, in tenths of the measure's unit, as `Target::tenths`.
    pub tenths: i16,
}

impl MetricDefinition {
    /// A definition from what a person entered; the target is checked against the measure's
    /// range as a map's own target is.
    pub fn new(
        id: LibraryId,
        name: Name,
        measure: Measure,
        description: Text,
        target: f64,
    ) -> Result<MetricDefinition, FieldError> {
        let tenths = Target::new(None, measure, target)?.tenths;
        Ok(MetricDefinition {
            id,
            name,
            measure,
            description,
            tenths,
        })
    }

    pub fn value(&self) -> f64 {
        f64::from(self.tenths) / 10.0
    }

    /// "CSAT target 80%".
    pub fn target_text(&self) -> String {
        format!(
            "{} target {}",
            self.measure.label(),
            self.measure.format(self.value())
        )
    }

    /// The target a map takes from this definition on `stage` (`None`: the whole map).
    pub fn target_on(&self, stage: Option<crate::domain::ids::StageId>) -> Target {
        Target {
            stage,
            measure: self.measure,
            tenths: self.tenths,
            metric: Some(self.id),
        }
    }

    /// `targets` (a map's) with every target taken from this definition brought into step
    /// with it; `None` when none was out of step.
    pub fn sync(&self, targets: &[Target]) -> Option<Vec<Target>> {
        let mut changed = false;
        let synced = targets
            .iter()
            .map(|t| {
                if t.metric == Some(self.id) && (t.measure, t.tenths) != (self.measure, self.tenths)
                {
                    changed = true;
                    self.target_on(t.stage)
                } else {
                    t.clone()
                }
            })
            .collect();
        changed.then_some(synced)
    }
}

/// A channel of the organisation, and the other labels that mean it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryChannel {
    pub id: LibraryId,
    /// The label feedback and events are stored under.
    pub name: String,
    /// Other labels that arrive meaning this channel, stored under `name` instead.
    pub aliases: Vec<String>,
    pub description: Text,
}

impl LibraryChannel {
    /// A channel from a name and a comma-separated list of aliases as a person entered them:
    /// each a label of at most `MAX_LABEL_CHARS`, repeats dropped.
    pub fn new(
        id: LibraryId,
        name: &str,
        aliases: &str,
        description: Text,
    ) -> Result<LibraryChannel, FieldError> {
        let name = channel_label(name)?.ok_or_else(|| FieldError::new("a channel needs a name"))?;
        let mut kept: Vec<String> = Vec::new();
        for alias in aliases.split(',') {
            let Some(alias) = channel_label(alias)? else {
                continue;
            };
            let key = fold(&alias);
            if key != fold(&name) && !kept.iter().any(|k| fold(k) == key) {
                kept.push(alias);
            }
        }
        if kept.len() > MAX_ALIASES {
            return Err(FieldError::new(format!(
                "at most {MAX_ALIASES} other labels per channel"
            )));
        }
        Ok(LibraryChannel {
            id,
            name,
            aliases: kept,
            description,
        })
    }

    /// The labels this channel answers to: its name and its aliases.
    fn labels(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

fn channel_label(raw: &str) -> Result<Option<String>, FieldError> {
    let label = raw.trim();
    if label.chars().any(char::is_control) {
        return Err(FieldError::new("a channel label is one line of text"));
    }
    let chars = label.chars().count();
    if chars > MAX_LABEL_CHARS {
        return Err(FieldError::new(format!(
            "a channel label has at most {MAX_LABEL_CHARS} characters (\u{201c}{}…\u{201d} has {chars})",
            label.chars().take(20).collect::<String>()
        )));
    }
    Ok((!label.is_empty()).then(|| label.to_owned()))
}

/// Labels are matched without regard to case or surrounding space.
fn fold(label: &str) -> String {
    label.trim().to_lowercase()
}

/// Checks a channel list (with one channel added or changed): no label may mean two channels.
pub fn check_channels(channels: &[LibraryChannel]) -> Result<(), FieldError> {
    if channels.len() > MAX_DEFINITIONS {
        return Err(FieldError::new(format!(
            "the library holds at most {MAX_DEFINITIONS} channels"
        )));
    }
    let mut seen: HashMap<String, &str> = HashMap::new();
    for channel in channels {
        for label in channel.labels() {
            if let Some(other) = seen.insert(fold(label), &channel.name) {
                return Err(FieldError::new(format!(
                    "\u{201c}{label}\u{201d} already means the channel \u{201c}{other}\u{201d}"
                )));
            }
        }
    }
    Ok(())
}

/// The channel names incoming labels are stored under (empty when the library has none).
#[derive(Clone, Debug, Default)]
pub struct ChannelNames {
    by_label: HashMap<String, String>,
}

impl ChannelNames {
    pub fn new(channels: &[LibraryChannel]) -> ChannelNames {
        let by_label = channels
            .iter()
            .flat_map(|c| c.labels().map(|label| (fold(label), c.name.clone())))
            .collect();
        ChannelNames { by_label }
    }

    /// The name of the library channel `label` means, if any.
    pub fn canonical(&self, label: &str) -> Option<&str> {
        if self.by_label.is_empty() || label.is_empty() {
            return None;
        }
        self.by_label.get(&fold(label)).map(String::as_str)
    }

    /// Replaces a label that names a library channel with the channel's name.
    pub fn rename(&self, label: &mut Option<String>) {
        if let Some(name) = label.as_deref().and_then(|l| self.canonical(l)) {
            *label = Some(name.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::{name, text};

    fn id(n: u128) -> LibraryId {
        LibraryId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn channel(n: u128, name: &str, aliases: &str) -> LibraryChannel {
        LibraryChannel::new(id(n), name, aliases, Text::default()).unwrap()
    }

    #[test]
    fn a_channel_keeps_each_other_label_once_and_never_its_own_name() {
        let app = channel(1, " Mobile app ", "ios, Android,IOS, , mobile app");
        assert_eq!(app.name, "Mobile app");
        assert_eq!(app.aliases, ["ios", "Android"]);
        assert!(LibraryChannel::new(id(2), "  ", "", Text::default()).is_err());
        assert!(LibraryChannel::new(id(2), &"x".repeat(61), "", Text::default()).is_err());
        assert!(LibraryChannel::new(id(2), "Web", "a\tb", Text::default()).is_err());
        let many = (0..=MAX_ALIASES)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>();
        assert!(LibraryChannel::new(id(2), "Web", &many.join(","), Text::default()).is_err());
    }

    #[test]
    fn no_label_may_mean_two_channels() {
        let app = channel(1, "Mobile app", "ios, android");
        let web = channel(2, "Web", "site");
        assert!(check_channels(&[app.clone(), web]).is_ok());
        let clash = channel(3, "Website", "IOS");
        let err = check_channels(&[app.clone(), clash]).unwrap_err();
        assert!(err.message.contains("Mobile app"), "{}", err.message);
        assert!(check_channels(&[app.clone(), channel(4, "ANDROID", "")]).is_err());
    }

    #[test]
    fn incoming_labels_are_stored_under_their_channels_name() {
        let names = ChannelNames::new(&[channel(1, "Mobile app", "ios, android")]);
        let renamed = |label: Option<&str>| {
            let mut label = label.map(str::to_owned);
            names.rename(&mut label);
            label
        };
        assert_eq!(renamed(Some(" iOS ")).as_deref(), Some("Mobile app"));
        assert_eq!(renamed(Some("mobile APP")).as_deref(), Some("Mobile app"));
        assert_eq!(
            renamed(Some("web")).as_deref(),
            Some("web"),
            "not in the list"
        );
        assert_eq!(renamed(None), None);
        let mut none = Some("ios".to_owned());
        ChannelNames::default().rename(&mut none);
        assert_eq!(
            none.as_deref(),
            Some("ios"),
            "an empty library renames nothing"
        );
    }

    #[test]
    fn a_definitions_change_reaches_the_targets_taken_from_it_only() {
        let csat = MetricDefinition::new(
            id(1),
            name("Checkout CSAT"),
            Measure::Csat,
            text("Asked after payment"),
            80.0,
        )
        .unwrap();
        assert!(
            MetricDefinition::new(id(1), name("x"), Measure::Ces, Text::default(), 9.0).is_err()
        );
        let own = Target::new(None, Measure::Nps, 20.0).unwrap();
        let targets = vec![own.clone(), csat.target_on(None)];
        assert_eq!(csat.sync(&targets), None, "already in step");

        let raised = MetricDefinition {
            tenths: 850,
            ..csat.clone()
        };
        let synced = raised.sync(&targets).unwrap();
        assert_eq!(synced[0], own, "a map's own target is left alone");
        assert_eq!(synced[1].tenths, 850);
        assert_eq!(synced[1].metric, Some(csat.id));
        assert_eq!(raised.target_text(), "CSAT target 85%");
    }
}
