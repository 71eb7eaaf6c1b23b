//! `.erase()`: a view of any type as one type, without the code Leptos' `AnyView` adds for it.
//!
//! Leptos compiles every view type behind an `AnyView` four ways in the browser: built, rebuilt,
//! hydrated, and hydrated *asynchronously*. The last is only ever taken on the path from the
//! document's root down to a lazily loaded route, and stops at the route's first `<Suspense>`
//! (which hydrates what is inside it synchronously). But an `AnyView` keeps a pointer to it
//! whatever its place, so each `.into_any()` compiled the asynchronous form of its whole view
//! tree, a second copy of the hydrating code for the same elements, and a boxed future around
//! it. In the browser, `.erase()` makes an [`Erased`] instead: a boxed view that is built,
//! rebuilt and hydrated synchronously, and nothing else. On the server, where none of that is
//! compiled, it is Leptos' `AnyView`.
//!
//! Hydrating synchronously is right wherever the view's code has already loaded when it
//! hydrates. That holds for everything inside a page or a panel (the chunk that holds the page
//! has loaded before the page hydrates); nothing on a page hydrates a lazily loaded part of
//! itself, since panels other than the personas are closed in the server's HTML. A lazy route
//! must hand the router an `AnyView`: [`any_view`] makes one whose asynchronous hydration is its
//! synchronous one. `clippy.toml` disallows `into_any` in `app`, so the rule holds as code is
//! added.

use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::ssr::StreamBuilder;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

#[cfg(feature = "hydrate")]
pub use browser::Erased;

/// A view of any type: Leptos' `AnyView` on the server (see the module's doc).
#[cfg(not(feature = "hydrate"))]
pub type Erased = AnyView;

/// `.erase()`: a view as an [`Erased`].
pub trait Erase {
    fn erase(self) -> Erased;
}

impl<T: RenderHtml + 'static> Erase for T
where
    T::State: 'static,
{
    #[cfg(feature = "hydrate")]
    fn erase(self) -> Erased {
        Erased::new(self)
    }

    #[cfg(not(feature = "hydrate"))]
    fn erase(self) -> Erased {
        #[allow(clippy::disallowed_methods)] // the server's form of the same
        self.into_any()
    }
}

/// `view` as an `AnyView` that hydrates synchronously, for the router's lazy routes, which
/// must return one.
pub fn any_view(view: impl RenderHtml + 'static) -> AnyView {
    #[allow(clippy::disallowed_methods)] // the one other place that may
    SyncHydrated(view).into_any()
}

/// A view whose asynchronous hydration is its synchronous one (see the module's doc).
struct SyncHydrated<T>(T);

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

#[cfg(feature = "hydrate")]
mod browser {
    use std::any::{Any, TypeId};

    use leptos::prelude::*;
    use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
    use leptos::tachys::html::attribute::Attribute;
    use leptos::tachys::hydration::Cursor;
    use leptos::tachys::renderer::types::{Element, Node, Placeholder};
    use leptos::tachys::renderer::Rndr;
    use leptos::tachys::ssr::StreamBuilder;
    use leptos::tachys::view::add_attr::AddAnyAttr;
    use leptos::tachys::view::{
        close_branch_marker, Mountable, Position, PositionState, Render, RenderHtml,
    };

    /// A view of any type, in the browser. It does what `AnyView` does for building,
    /// rebuilding and hydrating, step for step, with one boxed value in place of a table of
    /// functions per type.
    pub struct Erased {
        type_id: TypeId,
        view: Box<dyn DynView + Send>,
    }

    impl Erased {
        pub(super) fn new<T: RenderHtml + 'static>(view: T) -> Erased
        where
            T::State: 'static,
        {
            Erased {
                type_id: TypeId::of::<T>(),
                view: Box::new(view),
            }
        }
    }

    /// What the browser does with a view of a type it no longer knows.
    trait DynView {
        fn build(self: Box<Self>) -> ErasedState;
        /// Rebuilds `state`, which a view of the same type built.
        fn rebuild(self: Box<Self>, state: &mut ErasedState);
        fn hydrate(self: Box<Self>, cursor: &Cursor, position: &PositionState) -> ErasedState;
    }

    impl<T: RenderHtml + 'static> DynView for T
    where
        T::State: 'static,
    {
        fn build(self: Box<Self>) -> ErasedState {
            ErasedState {
                type_id: TypeId::of::<T>(),
                state: Box::new((*self).build()),
                // A view that draws nothing still needs a place in the document.
                placeholder: (!T::EXISTS).then(Rndr::create_placeholder),
            }
        }

        fn rebuild(self: Box<Self>, state: &mut ErasedState) {
            if let Some(state) = state.state.as_any().downcast_mut::<T::State>() {
                (*self).rebuild(state);
            }
        }

        fn hydrate(self: Box<Self>, cursor: &Cursor, position: &PositionState) -> ErasedState {
            let state = Box::new((*self).hydrate::<true>(cursor, position));
            ErasedState {
                type_id: TypeId::of::<T>(),
                state,
                placeholder: (!T::EXISTS).then(|| cursor.next_placeholder(position)),
            }
        }
    }

    /// What an [`Erased`] view left in the document.
    pub struct ErasedState {
        type_id: TypeId,
        state: Box<dyn DynState>,
        placeholder: Option<Placeholder>,
    }

    /// A view's state, which its own type can find again to rebuild it.
    trait DynState: Mountable {
        fn as_any(&mut self) -> &mut dyn Any;
    }

    impl<S: Mountable + 'static> DynState for S {
        fn as_any(&mut self) -> &mut dyn Any {
            self
        }
    }

    impl Mountable for ErasedState {
        fn unmount(&mut self) {
            self.state.unmount();
            if let Some(placeholder) = &mut self.placeholder {
                placeholder.unmount();
            }
        }

        fn mount(&mut self, parent: &Element, marker: Option<&Node>) {
            self.state.mount(parent, marker);
            if let Some(placeholder) = &mut self.placeholder {
                placeholder.mount(parent, marker);
            }
        }

        fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
            self.state.insert_before_this(child)
                || self
                    .placeholder
                    .as_ref()
                    .is_some_and(|placeholder| placeholder.insert_before_this(child))
        }

        fn elements(&self) -> Vec<Element> {
            self.state.elements()
        }
    }

    impl Render for Erased {
        type State = ErasedState;

        fn build(self) -> ErasedState {
            self.view.build()
        }

        fn rebuild(self, state: &mut ErasedState) {
            if self.type_id == state.type_id {
                self.view.rebuild(state);
            } else {
                // Another type of view: the new one takes the old one's place.
                let mut new = self.build();
                if let Some(placeholder) = &mut state.placeholder {
                    placeholder.insert_before_this(&mut new);
                    placeholder.unmount();
                } else {
                    state.insert_before_this(&mut new);
                }
                state.unmount();
                *state = new;
            }
        }
    }

    impl AddAnyAttr for Erased {
        type Output<SomeNewAttr: Attribute> = <AnyView as AddAnyAttr>::Output<SomeNewAttr>;

        fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
        where
            Self::Output<NewAttr>: RenderHtml,
        {
            // Never done in Waymark: attributes spread onto a component's view.
            super::any_view(self).add_any_attr(attr)
        }
    }

    impl RenderHtml for Erased {
        type AsyncOutput = Self;
        type Owned = Self;

        const MIN_LENGTH: usize = 0;

        // Resolving and rendering to HTML are the server's: it renders `AnyView`s.
        fn dry_resolve(&mut self) {}

        async fn resolve(self) -> Self {
            self
        }

        fn html_len(&self) -> usize {
            0
        }

        fn to_html_with_buf(
            self,
            _: &mut String,
            _: &mut Position,
            _: bool,
            _: bool,
            _: Vec<AnyAttribute>,
        ) {
            unreachable!("the browser does not render HTML");
        }

        fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
            self,
            _: &mut StreamBuilder,
            _: &mut Position,
            _: bool,
            _: bool,
            _: Vec<AnyAttribute>,
        ) {
            unreachable!("the browser does not render HTML");
        }

        fn hydrate<const FROM_SERVER: bool>(
            self,
            cursor: &Cursor,
            position: &PositionState,
        ) -> ErasedState {
            // As `AnyView`: only server-rendered HTML is hydrated this way, never a template.
            assert!(
                FROM_SERVER,
                "an erased view hydrates only the server's HTML"
            );
            let state = self.view.hydrate(cursor, position);
            close_branch_marker(position);
            state
        }

        // `hydrate_async` is left to the trait's default: `hydrate::<true>`.

        fn into_owned(self) -> Self {
            self
        }
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
