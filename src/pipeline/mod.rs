//! The pure decision pipeline, contract steps 1 to 8, one module a stage in
//! the order they run. It reads the stores and changes nothing.

use chrono::{DateTime, Utc};

use crate::call::{Guard, LeadOrigin, Plan};
use crate::model::{Company, Data};
use crate::phone::NumberReader;
use crate::rejection::Rejection;
use crate::request::MakeCallRequest;
use crate::store::{LeadStore, LeadToDial, ScheduleStore, SuppressionList};

pub mod active;
pub mod calling_window;
pub mod lead;
pub mod number;
pub mod resolve;
pub mod route;
pub mod shape;
pub mod suppression;

/// Steps 1 to 5 on the schedule path, for an enrolment: the dialing
/// schedule's id and the number.
pub(crate) fn enrol_target(
    leads: &(impl LeadStore + ?Sized),
    schedules: &(impl ScheduleStore + ?Sized),
    reader: &NumberReader,
    company: &Company,
    request: &MakeCallRequest,
) -> Result<(String, crate::phone::E164), Rejection> {
    let target = shape::check(request)?;
    let resolved = resolve::resolve(
        &target,
        &company.id,
        company.default_region,
        leads,
        schedules,
    )?;
    active::check(&resolved.schedule)?;
    let route = route::route(resolved.schedule, &request.data, &company.id, schedules)?;
    let Some(dialing) = route.dialing() else {
        return Err(Rejection::RoutingLoop {
            route: "empty route".into(),
        });
    };
    let to = match target {
        shape::Target::Schedule { to, .. } => to,
        shape::Target::Lead(_) => "",
    };
    let number = number::read(to, company.default_region, reader)?;
    Ok((dialing.id.clone(), number))
}

/// Runs steps 1 to 7 on `request` for `company` at `now`.
// The stores, the lists and the reader are the engine's parts, passed as
// they are rather than bundled for one caller.
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan(
    leads: &(impl LeadStore + ?Sized),
    schedules: &(impl ScheduleStore + ?Sized),
    suppressions: &(impl SuppressionList + ?Sized),
    registries: &[std::sync::Arc<dyn crate::registry::RegistryList>],
    reader: &NumberReader,
    company: &Company,
    request: &MakeCallRequest,
    now: DateTime<Utc>,
) -> Result<Plan, Rejection> {
    let target = shape::check(request)?;
    let mut resolved = resolve::resolve(
        &target,
        &company.id,
        company.default_region,
        leads,
        schedules,
    )?;
    active::check(&resolved.schedule)?;

    // The lead path routes on the lead's data overlaid by the request's.
    let data: Data = match &mut resolved.lead {
        Some(lead) => {
            let mut data = std::mem::take(&mut lead.data);
            data.extend(request.data.iter().map(|(k, v)| (k.clone(), v.clone())));
            data
        }
        None => request.data.clone(),
    };
    let route = route::route(resolved.schedule, &data, &company.id, schedules)?;
    let Some(dialing) = route.dialing() else {
        return Err(Rejection::RoutingLoop {
            route: "empty route".into(),
        });
    };

    let number = match (&resolved.lead, target) {
        // The store read the lead's number in this region already: the
        // reader's verdict, without reading again.
        (
            Some(LeadToDial {
                read: Some(read), ..
            }),
            _,
        ) => *read,
        (Some(lead), _) => number::read(&lead.number, company.default_region, reader)?,
        (None, shape::Target::Schedule { to, .. }) => {
            number::read(to, company.default_region, reader)?
        }
        (None, shape::Target::Lead(_)) => number::read("", company.default_region, reader)?,
    };
    let named = resolved.lead.map(|lead| lead.id);
    let choice = lead::choose(named, &company.id, &dialing.id, number, leads)?;
    let on_route = route.schedule_ids();
    suppression::check(
        number,
        &company.id,
        on_route.as_slice(),
        now,
        suppressions,
        registries,
    )?;
    let calling_window = calling_window::check(
        company.calling_rules.as_deref(),
        dialing.calling_hours.as_ref(),
        number,
        &data,
        now,
    )?;

    let (lead_id, lead_origin) = match choice {
        lead::Choice::Existing(id) => (Some(id), LeadOrigin::Existing),
        lead::Choice::OneOff => (None, LeadOrigin::OneOff),
    };
    Ok(Plan {
        company_id: company.id.clone(),
        schedule_id: dialing.id.clone(),
        route: route.hops,
        lead_id,
        lead_origin,
        to: number,
        data,
        decided_at: now,
        calling_window,
        guards: {
            // Room for admission's three guards too.
            let mut guards = Vec::with_capacity(Guard::ALL.len());
            guards.extend_from_slice(&Guard::PIPELINE);
            guards
        },
    })
}
