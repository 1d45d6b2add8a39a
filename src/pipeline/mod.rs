//! The pure decision pipeline, contract steps 1 to 7, one module a stage in
//! the order they run. It reads the stores and changes nothing.

use chrono::{DateTime, Utc};

use crate::call::{Guard, LeadOrigin, Plan};
use crate::model::{Company, Data};
use crate::phone::NumberReader;
use crate::rejection::Rejection;
use crate::request::MakeCallRequest;
use crate::store::{LeadStore, ScheduleStore, SuppressionList};

pub mod active;
pub mod lead;
pub mod number;
pub mod resolve;
pub mod route;
pub mod shape;
pub mod suppression;

/// Runs steps 1 to 7 on `request` for `company` at `now`.
pub(crate) fn plan(
    leads: &(impl LeadStore + ?Sized),
    schedules: &(impl ScheduleStore + ?Sized),
    suppressions: &(impl SuppressionList + ?Sized),
    reader: &NumberReader,
    company: &Company,
    request: &MakeCallRequest,
    now: DateTime<Utc>,
) -> Result<Plan, Rejection> {
    let target = shape::check(request)?;
    let resolved = resolve::resolve(&target, &company.id, leads, schedules)?;
    active::check(&resolved.schedule)?;

    // The lead path routes on the lead's data overlaid by the request's.
    let data: Data = match &resolved.lead {
        Some(lead) => {
            let mut data = lead.data.clone();
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

    let text = match (&resolved.lead, target) {
        (Some(lead), _) => lead.number.as_str(),
        (None, shape::Target::Schedule { to, .. }) => to,
        (None, shape::Target::Lead(_)) => "",
    };
    let number = number::read(text, company.default_region, reader)?;
    let choice = lead::choose(resolved.lead, &company.id, &dialing.id, number, leads);
    let on_route = route.schedule_ids();
    suppression::check(number, &company.id, on_route.as_slice(), now, suppressions)?;

    let (lead_id, lead_origin) = match choice {
        lead::Choice::Existing(lead) => (Some(lead.id.clone()), LeadOrigin::Existing),
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
        guards: Guard::PIPELINE.to_vec(),
    })
}
