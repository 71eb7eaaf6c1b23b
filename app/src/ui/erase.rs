//! `.erase()`: Leptos' `.erase()`, without the code for hydrating the view asynchronously.
//!
//! Leptos compiles every view type behind an `AnyView` four ways in the browser: built, rebuilt,
//! hydrated, and hydrated *asynchronously*. The last is only ever taken on the path from the
//! document's root down to a lazily loaded route, and stops at the route's first `<Suspense>`
//! (which hydrates what is inside it synchronously). But an `AnyView` keeps a pointer to it
//! whatever its place, so each `.erase()` compiled the asynchronous form of its whole view
//! tree, a second copy of the hydrating code for the same elements: about a seventh of the
//! bundle. Wrapped in [`SyncHydrated`], a view's asynchronous hydration is its synchronous one,
//! so that copy is never made.
//!
//! That is right wherever the view's code has already loaded when it hydrates. That holds for
//! everything inside a page or a panel (the chunk that holds the page has loaded before the page
//! hydrates); nothing on a page hydrates a lazily loaded part of itself, since panels other than
//! the personas are closed in the server's HTML. `clippy.toml` disallows `into_any` in `app`, so
//! the rule holds as code is added.

use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::ssr::StreamBuilder;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

/// A view whose asynchronous hydration is its synchronous one (see the module's doc).
pub struct SyncHydrated<T>(T);

/// `.erase()`: a view as an [`AnyView`] that hydrates synchronously.
pub trait Erase {
    fn erase(self) -> AnyView;
}

impl<T: RenderHtml + 'static> Erase for T {
    fn erase(self) -> AnyView {
        #[allow(clippy::disallowed_methods)] // the one place that may
        SyncHydrated(self).into_any()
    }
}

impl<T: Render> Render for SyncHydrated<T> {
    type State = T::State;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.0.rebuild(state);
    }
}

impl<T: AddAnyAttr> AddAnyAttr for SyncHydrated<T> {
    type Output<SomeNewAttr: Attribute> = SyncHydrated<T::Output<SomeNewAttr>>;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        SyncHydrated(self.0.add_any_attr(attr))
    }
}

impl<T: RenderHtml> RenderHtml for SyncHydrated<T> {
    type AsyncOutput = SyncHydrated<T::AsyncOutput>;
    type Owned = SyncHydrated<T::Owned>;

    const MIN_LENGTH: usize = T::MIN_LENGTH;
    const EXISTS: bool = T::EXISTS;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve();
    }

    async fn resolve(self) -> Self::AsyncOutput {
        SyncHydrated(self.0.resolve().await)
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs);
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(
            buf,
            position,
            escape,
            mark_branches,
            extra_attrs,
        );
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    // `hydrate_async` is left to the trait's default: `hydrate::<true>`.

    fn into_owned(self) -> Self::Owned {
        SyncHydrated(self.0.into_owned())
    }
}

/// `<Show when>` without erasing its children: `view()` while `when()` holds, nothing
/// otherwise. `<Show>` keeps its children as an `AnyView` built by Leptos, so each one
/// compiled its whole view again for asynchronous hydration (see the module's doc).
pub fn shown<V: IntoView + 'static>(
    when: impl Fn() -> bool + Send + Sync + 'static,
    view: impl Fn() -> V + Send + Sync + 'static,
) -> impl IntoView {
    // As `<Show>` does: the view is rebuilt when the condition changes, not whenever
    // something it reads does.
    let when = Memo::new(move |_| when());
    move || when.get().then(&view)
}
