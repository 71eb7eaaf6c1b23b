//! `/admin`: the members of this Waymark, for admins: invitations, admin rights, removal; and
//! the audit log (`audit_log`).

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::auth::{current_user, User};
use crate::api::sharing::{create_invite, list_users, RemoveUser, SetAdmin};
use crate::ui::app::PageTitle;
use crate::ui::erase::Erase;
use crate::ui::format::date_time;
use crate::ui::pages::audit_log::AuditLog;
use crate::ui::pages::TopBar;
use crate::ui::resource::resource;

/// This page's address, for links made here (`https://…`).
pub fn site_origin() -> String {
    window().location().origin().unwrap_or_default()
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let me = resource(|| (), |_| current_user());
    let remove = ServerAction::<RemoveUser>::new();
    let admin = ServerAction::<SetAdmin>::new();
    let users = resource(
        move || (remove.version().get(), admin.version().get()),
        |_| list_users(),
    );
    let failure = move || {
        remove
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| admin.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    };
    view! {
        <PageTitle text="Members"/>
        <TopBar/>
        <main id="main" class="home">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(user)) if user.is_admin => {}
                        Ok(Some(_)) => return view! { <p class="notice error">"Only admins manage members."</p> }.erase(),
                        _ => return view! { <Redirect path="/login?next=/admin"/> }.erase(),
                    }
                    view! {
                        <h1>"Members"</h1>
                        <Show when=move || failure().is_some()>
                            <p class="notice error" role="alert">{failure}</p>
                        </Show>
                        <InviteMaker/>
                        <section class="map-list">
                            <h2>"Accounts"</h2>
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    match users.await {
                                        Ok(list) => view! { <UserList users=list remove admin/> }.erase(),
                                        Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.erase(),
                                    }
                                })}
                            </Transition>
                        </section>
                        <AuditLog/>
                    }
                        .erase()
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn UserList(
    users: Vec<User>,
    remove: ServerAction<RemoveUser>,
    admin: ServerAction<SetAdmin>,
) -> impl IntoView {
    view! {
        <ul class="maps">
            {users
                .into_iter()
                .map(|user| {
                    let id = user.id;
                    let label = format!("{} <{}>", user.name, user.email);
                    view! {
                        <li class="map-row">
                            <span class="map-link">{user.name.clone()}</span>
                            <p class="map-meta">{user.email.clone()}{if user.is_admin { " · admin" } else { "" }}</p>
                            <div class="map-actions">
                                <button
                                    type="button"
                                    class="button ghost"
                                    on:click=move |_| { admin.dispatch(SetAdmin { user: id, admin: !user.is_admin }); }
                                >
                                    {if user.is_admin { "Remove admin rights" } else { "Make admin" }}
                                </button>
                                <button
                                    type="button"
                                    class="button ghost danger"
                                    aria-label=format!("Remove {label}")
                                    on:click=move |_| { remove.dispatch(RemoveUser { user: id }); }
                                >
                                    "Remove"
                                </button>
                            </div>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// Makes an invitation to this Waymark and shows its link to pass on.
#[component]
fn InviteMaker() -> impl IntoView {
    let link = RwSignal::new(None::<(String, i64)>);
    let error = RwSignal::new(None::<String>);
    let make = move |_| {
        leptos::task::spawn_local(async move {
            match create_invite(None, None, None).await {
                Ok(invite) => {
                    link.set(Some((
                        format!("{}/invite/{}", site_origin(), invite.token),
                        invite.expires_at,
                    )));
                    error.set(None);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <section class="new-map">
            <h2>"Invite someone"</h2>
            <p class="muted">"The link lets one person create an account. It expires after 7 days."</p>
            <button type="button" class="button primary" on:click=make>"Create invitation link"</button>
            <Show when=move || error.with(Option::is_some)>
                <p class="notice error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            {move || link.get().map(|(url, expires)| view! { <CopyField label="Invitation link" value=url note=format!("Valid until {}", date_time(expires))/> })}
        </section>
    }
}

/// A read-only text field with a copy button.
#[component]
pub fn CopyField(
    #[prop(into)] label: String,
    value: String,
    #[prop(optional, into)] note: String,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = value.clone();
    let copy = move |_| {
        let clipboard = window().navigator().clipboard();
        let _promise = clipboard.write_text(&text);
        copied.set(true);
    };
    view! {
        <div class="copy-field">
            <label class="field">
                <span>{label}</span>
                <input type="text" readonly value=value on:focus=move |ev| {
                    use leptos::wasm_bindgen::JsCast;
                    if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                        input.select();
                    }
                }/>
            </label>
            <button type="button" class="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            <small class="muted">{note}</small>
        </div>
    }
}
