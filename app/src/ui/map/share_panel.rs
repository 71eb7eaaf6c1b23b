//! Sharing a map, for its owners: members and roles, invitations, read-only links and the
//! iframe snippet for an intranet.

use leptos::prelude::*;

use crate::api::sharing::{
    create_invite, create_share_link, map_members, share_links, stage_owners, AddMember,
    RevokeShareLink, SetMemberRole, SetStageOwner,
};
use crate::domain::access::Role;
use crate::ui::editor::use_editor;
use crate::ui::format::date_time;
use crate::ui::pages::admin::{site_origin, CopyField};
use crate::ui::resource::resource;

#[component]
pub fn SharePanel() -> impl IntoView {
    view! {
        <section class="share" aria-labelledby="share-heading">
            <h2 id="share-heading">"Share this map"</h2>
            <Members/>
            <StageOwners/>
            <Links/>
        </section>
    }
}

fn role_options(selected: Option<Role>) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(move |r| view! { <option value=r.key() selected=Some(r) == selected>{r.label()}</option> })
        .collect_view()
}

/// Who answers for each stage: its touchpoints' unhappy answers are mailed to that member
/// rather than to the map's owners.
#[component]
fn StageOwners() -> impl IntoView {
    let editor = use_editor();
    let map = editor.id;
    let set = ServerAction::<SetStageOwner>::new();
    let data = resource(
        move || set.version().get(),
        move |_| async move {
            Ok::<_, crate::api::error::AppError>((
                map_members(map).await?,
                stage_owners(map).await?,
            ))
        },
    );
    let stages = move || {
        editor.map.with(|m| {
            m.stages()
                .iter()
                .map(|s| (s.id, s.name.to_string()))
                .collect::<Vec<_>>()
        })
    };
    let failure = move || {
        set.value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <h3>"Stage owners"</h3>
        <p class="muted">"A stage's owner hears of unhappy answers on its touchpoints; stages without one are the map's owners'."</p>
        <Show when=move || failure().is_some()>
            <p class="notice error" role="alert">{failure}</p>
        </Show>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let (members, owners) = data.await.unwrap_or_default();
                view! {
                    <ul class="members">
                        {stages().into_iter().map(|(stage, name)| {
                            let current = owners.iter().find(|(s, _)| *s == stage).map(|(_, u)| *u);
                            view! {
                                <li>
                                    <span class="member-name">{name.clone()}</span>
                                    <select
                                        aria-label=format!("Owner of {name}")
                                        on:change=move |ev| { set.dispatch(SetStageOwner { map, stage, user: event_target_value(&ev) }); }
                                    >
                                        <option value="" selected=current.is_none()>"The map's owners"</option>
                                        {members.iter().map(|m| view! {
                                            <option value=m.user.to_string() selected=current == Some(m.user)>{m.name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
            })}
        </Transition>
    }
}

#[component]
fn Members() -> impl IntoView {
    let editor = use_editor();
    let map = editor.id;
    let add = ServerAction::<AddMember>::new();
    let set = ServerAction::<SetMemberRole>::new();
    let members = resource(
        move || (add.version().get(), set.version().get()),
        move |_| map_members(map),
    );
    let failure = move || {
        add.value()
            .get()
            .and_then(Result::err)
            .or_else(|| set.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    };
    let invite = RwSignal::new(None::<String>);
    let invite_error = RwSignal::new(None::<String>);
    let invite_role = RwSignal::new(Role::Editor);
    let invite_email = RwSignal::new(String::new());
    let invite_mailed = RwSignal::new(false);
    let make_invite = move |_| {
        let role = invite_role.get_untracked();
        let email = Some(invite_email.get_untracked()).filter(|e| !e.trim().is_empty());
        leptos::task::spawn_local(async move {
            match create_invite(Some(map), Some(role.key().to_owned()), email).await {
                Ok(made) => {
                    invite.set(Some(format!("{}/invite/{}", site_origin(), made.token)));
                    invite_mailed.set(made.emailed);
                    invite_error.set(None);
                }
                Err(err) => invite_error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <h3>"People"</h3>
        <Show when=move || failure().is_some()>
            <p class="notice error" role="alert">{failure}</p>
        </Show>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = members.await.unwrap_or_default();
                view! {
                    <ul class="members">
                        {list.into_iter().map(|m| {
                            let user = m.user;
                            view! {
                                <li>
                                    <span class="member-name">{m.name.clone()}<small>{m.email.clone()}</small></span>
                                    <select
                                        aria-label=format!("Role of {}", m.name)
                                        on:change=move |ev| { set.dispatch(SetMemberRole { map, user, role: event_target_value(&ev) }); }
                                    >
                                        {role_options(Some(m.role))}
                                        <option value="">"Remove from map"</option>
                                    </select>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
            })}
        </Transition>
        <ActionForm action=add>
            <input type="hidden" name="map" value=map.to_string()/>
            <div class="inline-form">
                <input type="email" name="email" required placeholder="name@example.com" aria-label="Email of someone with an account"/>
                <select name="role" aria-label="Their role">{role_options(Some(Role::Editor))}</select>
                <button type="submit" class="button small">"Add"</button>
            </div>
        </ActionForm>
        <div class="inline-form">
            <label class="muted">"No account yet? Invite as "
                <select aria-label="Role for the invitation" on:change=move |ev| {
                    if let Some(role) = Role::from_key(&event_target_value(&ev)) { invite_role.set(role); }
                }>{role_options(Some(Role::Editor))}</select>
            </label>
            <input type="email" placeholder="Their email (only they can accept)" aria-label="Email the invitation is for"
                prop:value=move || invite_email.get() on:input=move |ev| invite_email.set(event_target_value(&ev))/>
            <button type="button" class="button small" on:click=make_invite>"Create invitation link"</button>
        </div>
        <Show when=move || invite_error.with(Option::is_some)>
            <p class="notice error" role="alert">{move || invite_error.get().unwrap_or_default()}</p>
        </Show>
        {move || invite.get().map(|url| view! { <CopyField label="Invitation link (valid 7 days)" value=url/> })}
        <Show when=move || invite_mailed.get()>
            <p class="notice success" role="status">"We emailed the invitation to that address too."</p>
        </Show>
    }
}

#[component]
fn Links() -> impl IntoView {
    let editor = use_editor();
    let map = editor.id;
    let revoke = ServerAction::<RevokeShareLink>::new();
    let made = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let links = resource(
        move || (revoke.version().get(), made.get()),
        move |_| share_links(map),
    );
    let (label, days, password) = (
        RwSignal::new(String::new()),
        RwSignal::new(0u32),
        RwSignal::new(String::new()),
    );
    let (comments, customer_comments, funnel) = (
        RwSignal::new(false),
        RwSignal::new(false),
        RwSignal::new(false),
    );
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (l, d, p) = (
            label.get_untracked(),
            days.get_untracked(),
            password.get_untracked(),
        );
        let (c, cc, f) = (
            comments.get_untracked(),
            customer_comments.get_untracked(),
            funnel.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match create_share_link(map, l, (d > 0).then_some(d), Some(p), c, cc, f).await {
                Ok(link) => {
                    made.set(Some(link.token));
                    error.set(None);
                    password.set(String::new());
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <h3>"Read-only links"</h3>
        <p class="muted">"Anyone with a link sees the map, live, without an account. Revoke a link to end its access."</p>
        <form class="share-link-form" on:submit=create>
            <input type="text" maxlength="200" placeholder="Label, e.g. Intranet" aria-label="Link label"
                prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
            <select aria-label="Expires" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(0))>
                <option value="0">"Never expires"</option>
                <option value="7">"Expires in 7 days"</option>
                <option value="30">"Expires in 30 days"</option>
                <option value="90">"Expires in 90 days"</option>
            </select>
            <input type="password" placeholder="Password (optional)" aria-label="Link password" autocomplete="new-password"
                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
            <label class="check">
                <input type="checkbox" prop:checked=move || comments.get()
                    on:change=move |ev| comments.set(event_target_checked(&ev))/>
                "Show the team's comments"
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || customer_comments.get()
                    on:change=move |ev| customer_comments.set(event_target_checked(&ev))/>
                "Show customers' comments word for word"
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || funnel.get()
                    on:change=move |ev| funnel.set(event_target_checked(&ev))/>
                "Measured funnel (journey analytics)"
            </label>
            <button type="submit" class="button small primary">"Create link"</button>
        </form>
        <Show when=move || error.with(Option::is_some)>
            <p class="notice error" role="alert">{move || error.get().unwrap_or_default()}</p>
        </Show>
        {move || made.get().map(|token| {
            let url = format!("{}/s/{token}", site_origin());
            let embed = format!(
                "<iframe src=\"{}/embed/{token}\" title=\"Journey map\" width=\"100%\" height=\"640\" style=\"border:0\" loading=\"lazy\"></iframe>",
                site_origin()
            );
            view! {
                <CopyField label="Share link (shown only now)" value=url/>
                <CopyField label="Embed in an intranet page" value=embed note="Framing works only on sites the admin allowed (WAYMARK_EMBED_ORIGINS)."/>
            }
        })}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = links.await.unwrap_or_default();
                view! {
                    <ul class="links">
                        {list.into_iter().map(|link| {
                            let id = link.id;
                            let details = format!(
                                "made {}{}{}{}{}{}",
                                date_time(link.created_at),
                                link.expires_at.map(|t| format!(" · expires {}", date_time(t))).unwrap_or_default(),
                                if link.has_password { " · password" } else { "" },
                                if link.shows.comments { " · shows comments" } else { "" },
                                if link.shows.customer_comments { " · shows customers' words" } else { "" },
                                if link.shows.funnel { " · shows the measured funnel" } else { "" },
                            );
                            view! {
                                <li>
                                    <span class="member-name">{link.label.clone()}<small>{details}</small></span>
                                    <button type="button" class="button small danger"
                                        aria-label=format!("Revoke link {}", link.label)
                                        on:click=move |_| { revoke.dispatch(RevokeShareLink { map, link: id }); }>
                                        "Revoke"
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
            })}
        </Transition>
    }
}
