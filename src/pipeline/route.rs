//! Step 4, route: routers send the request on, distribution by distribution,
//! until a dialing schedule.

use crate::store::Found;

use crate::call::{Guard, RouteHop};
use crate::model::{Data, Schedule, ScheduleKind};
use crate::rejection::Rejection;
use crate::store::ScheduleStore;

/// The most router hops one route may take.
///
/// # Example
/// ```
/// use dialgate::{pipeline::route::MAX_HOPS, *};
/// let schedules = InMemoryScheduleStore::new();
/// for i in 0..=MAX_HOPS { // routers r0 -> r1 -> ... -> r8, then dialer r9
///     let next = vec![Distribution::catch_all("d-next", &format!("r{}", i + 1))];
///     schedules.insert(Schedule::router(&format!("r{i}"), "acme", &format!("tok-r{i}"), next)).unwrap();
/// }
/// schedules.insert(Schedule::dialer(&format!("r{}", MAX_HOPS + 1), "acme", "tok-solar")).unwrap();
/// # let engine = Engine::new(InMemoryLeadStore::new(), schedules, InMemorySuppressionList::new(), SystemClock);
/// # let acme = Company::new("acme", 5).unwrap();
/// let from = |id: &str| engine.dry_run(&acme, &MakeCallRequest::for_schedule(id, "+17195551234"));
/// assert_eq!(from("r1").unwrap().route.len(), MAX_HOPS);
/// assert_eq!(from("r0").unwrap_err().code(), "routing_loop");
/// ```
pub const MAX_HOPS: usize = 8;

/// The schedules a request visited, the resolved one first and the dialing
/// one last, and the hops between them.
#[derive(Debug)]
pub(crate) struct Route<'s> {
    /// The resolved schedule.
    pub start: Found<'s, Schedule>,
    /// The schedules routers sent the request on to, in order (none, and
    /// nothing allocated, when the resolved schedule dials).
    pub later: Vec<Found<'s, Schedule>>,
    pub hops: Vec<RouteHop>,
}

impl<'s> Route<'s> {
    /// The dialing schedule (while routing: the schedule reached last).
    pub fn dialing(&self) -> Option<&Schedule> {
        Some(self.later.last().unwrap_or(&self.start))
    }

    /// Every schedule visited, the resolved one first.
    pub fn visited(&self) -> impl Iterator<Item = &Found<'s, Schedule>> {
        std::iter::once(&self.start).chain(&self.later)
    }

    /// The ids of every schedule on the route, on the stack: a route that
    /// passed holds at most `MAX_HOPS + 1` schedules.
    pub fn schedule_ids(&self) -> RouteIds<'_> {
        let mut ids = RouteIds {
            ids: [""; MAX_HOPS + 1],
            len: 0,
        };
        for (slot, schedule) in ids.ids.iter_mut().zip(self.visited()) {
            *slot = &schedule.id;
            ids.len += 1;
        }
        ids
    }
}

/// The schedule ids of a route, without allocating.
#[derive(Debug)]
pub(crate) struct RouteIds<'a> {
    ids: [&'a str; MAX_HOPS + 1],
    len: usize,
}

impl<'a> RouteIds<'a> {
    /// The ids, the resolved schedule first.
    pub fn as_slice(&self) -> &[&'a str] {
        self.ids.get(..self.len).unwrap_or(&[])
    }
}

/// Follows routers from `start` (already resolved and active) on `data`.
pub(crate) fn route<'s>(
    start: Found<'s, Schedule>,
    data: &Data,
    company_id: &str,
    schedules: &'s (impl ScheduleStore + ?Sized),
) -> Result<Route<'s>, Rejection> {
    let mut route = Route {
        start,
        later: Vec::new(),
        hops: Vec::new(),
    };
    loop {
        let Some(current) = route.dialing() else {
            return Err(Rejection::RoutingLoop {
                route: String::new(),
            });
        };
        let ScheduleKind::Router(distributions) = &current.kind else {
            return Ok(route);
        };
        let Some(chosen) = distributions
            .iter()
            .filter(|d| d.active)
            .find(|d| d.when.iter().all(|c| c.holds(data)))
        else {
            let tried: Vec<String> = distributions
                .iter()
                .filter(|d| d.active)
                .map(|d| format!("`{}`", d.id))
                .collect();
            return Err(Rejection::NoMatchingDistribution {
                schedule_id: current.id.clone(),
                tried: if tried.is_empty() {
                    "none".into()
                } else {
                    tried.join(", ")
                },
            });
        };
        let target = schedules
            .schedule(company_id, &chosen.target_schedule_id)
            .map_err(|e| Rejection::unavailable(Guard::Route, "schedule store", e))?
            .ok_or_else(|| Rejection::ScheduleNotFound {
                what: format!(
                    "with id `{}` (target of distribution `{}` of router `{}`)",
                    chosen.target_schedule_id, chosen.id, current.id
                ),
            })?;
        if !target.active {
            return Err(Rejection::ScheduleInactive {
                schedule_id: target.id.clone(),
            });
        }
        route.hops.push(RouteHop {
            schedule_id: current.id.clone(),
            distribution_id: chosen.id.clone(),
        });
        let seen = route.visited().any(|s| s.id == target.id);
        route.later.push(target);
        if seen || route.hops.len() > MAX_HOPS {
            let path: Vec<String> = route.visited().map(|s| format!("`{}`", s.id)).collect();
            return Err(Rejection::RoutingLoop {
                route: format!(
                    "{}{}",
                    path.join(" -> "),
                    if seen {
                        " visits a schedule twice"
                    } else {
                        " takes more than 8 hops"
                    }
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Condition, Distribution, Scalar};
    use crate::store::InMemoryScheduleStore;

    fn store(schedules: Vec<Schedule>) -> InMemoryScheduleStore {
        let s = InMemoryScheduleStore::new();
        for (i, mut sch) in schedules.into_iter().enumerate() {
            sch.lead_token = format!("tok-{i}");
            s.insert(sch).unwrap();
        }
        s
    }

    fn go(
        store: &InMemoryScheduleStore,
        from: &str,
        data: &Data,
    ) -> Result<(String, Vec<String>), &'static str> {
        let start = store.schedule("acme", from).unwrap().unwrap();
        route(start, data, "acme", store)
            .map(|r| {
                (
                    r.dialing().unwrap().id.clone(),
                    r.hops.iter().map(|h| h.distribution_id.clone()).collect(),
                )
            })
            .map_err(|e| e.code())
    }

    fn router(id: &str, ds: Vec<Distribution>) -> Schedule {
        Schedule::router(id, "acme", "", ds)
    }

    #[test]
    fn first_active_matching_distribution_wins() {
        let mut off = Distribution::catch_all("d-off", "a");
        off.active = false;
        let fb = Distribution {
            when: vec![Condition::eq("src", "42")],
            ..Distribution::catch_all("d-fb", "a")
        };
        let any = Distribution::catch_all("d-any", "b");
        let s = store(vec![
            router("r", vec![off, fb, any]),
            Schedule::dialer("a", "acme", ""),
            Schedule::dialer("b", "acme", ""),
        ]);
        let data = Data::from([("src".into(), Scalar::from(42))]);
        assert_eq!(go(&s, "r", &data), Ok(("a".into(), vec!["d-fb".into()])));
        assert_eq!(
            go(&s, "r", &Data::new()),
            Ok(("b".into(), vec!["d-any".into()]))
        );
        assert_eq!(go(&s, "a", &Data::new()), Ok(("a".into(), vec![])));
    }

    #[test]
    fn each_route_failure_has_its_code() {
        let mut paused = Schedule::dialer("paused", "acme", "");
        paused.active = false;
        let s = store(vec![
            router(
                "none",
                vec![Distribution {
                    when: vec![Condition::eq("k", "v")],
                    ..Distribution::catch_all("d", "a")
                }],
            ),
            router("to-missing", vec![Distribution::catch_all("d", "gone")]),
            router("to-paused", vec![Distribution::catch_all("d", "paused")]),
            router("loop-a", vec![Distribution::catch_all("d", "loop-b")]),
            router("loop-b", vec![Distribution::catch_all("d", "loop-a")]),
            router("self", vec![Distribution::catch_all("d", "self")]),
            Schedule::dialer("a", "acme", ""),
            paused,
        ]);
        assert_eq!(
            go(&s, "none", &Data::new()),
            Err("no_matching_distribution")
        );
        assert_eq!(
            go(&s, "to-missing", &Data::new()),
            Err("schedule_not_found")
        );
        assert_eq!(go(&s, "to-paused", &Data::new()), Err("schedule_inactive"));
        assert_eq!(go(&s, "loop-a", &Data::new()), Err("routing_loop"));
        assert_eq!(go(&s, "self", &Data::new()), Err("routing_loop"));
    }

    #[test]
    fn eight_hops_pass_and_nine_loop() {
        let chain = |n: usize| {
            let mut v: Vec<Schedule> = (0..n)
                .map(|i| {
                    router(
                        &format!("r{i}"),
                        vec![Distribution::catch_all(
                            &format!("d{i}"),
                            &format!("r{}", i + 1),
                        )],
                    )
                })
                .collect();
            v.push(Schedule::dialer(&format!("r{n}"), "acme", ""));
            store(v)
        };
        assert_eq!(go(&chain(8), "r0", &Data::new()).map(|r| r.1.len()), Ok(8));
        assert_eq!(go(&chain(9), "r0", &Data::new()), Err("routing_loop"));
    }
}
