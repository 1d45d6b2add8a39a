//! Step 2, resolve: the lead or schedule the request names, in the caller's
//! company only.

use crate::store::Found;

use super::shape::{ScheduleRef, Target};
use crate::call::Guard;
use crate::model::Schedule;
use crate::phone::Region;
use crate::rejection::Rejection;
use crate::store::{LeadStore, LeadToDial, ScheduleStore};

/// The resolved schedule, and on the lead path what the decision reads of
/// the lead (with its number when the store has already read it in the
/// company's region).
#[derive(Debug)]
pub(crate) struct Resolved<'s> {
    pub schedule: Found<'s, Schedule>,
    pub lead: Option<LeadToDial<'s>>,
}

/// Finds the target. Another company's record answers exactly as a missing one.
/// `region` is the company's, in which a lead's number would be read.
pub(crate) fn resolve<'s>(
    target: &Target<'_>,
    company_id: &str,
    region: Region,
    leads: &'s (impl LeadStore + ?Sized),
    schedules: &'s (impl ScheduleStore + ?Sized),
) -> Result<Resolved<'s>, Rejection> {
    match *target {
        Target::Lead(lead_id) => {
            let lead = leads
                .lead_to_dial(company_id, lead_id, region)
                .map_err(|e| Rejection::unavailable(Guard::Resolve, "lead store", e))?
                .ok_or_else(|| Rejection::UnknownLead {
                    lead_id: lead_id.to_owned(),
                })?;
            let schedule = schedules
                .schedule(company_id, &lead.schedule_id)
                .map_err(|e| Rejection::unavailable(Guard::Resolve, "schedule store", e))?
                .ok_or_else(|| Rejection::ScheduleNotFound {
                    what: format!(
                        "id `{}` (the schedule of lead `{lead_id}`)",
                        lead.schedule_id
                    ),
                })?;
            Ok(Resolved {
                schedule,
                lead: Some(lead),
            })
        }
        Target::Schedule { by, .. } => {
            let schedule = match by {
                ScheduleRef::Id(id) => schedules.schedule(company_id, id),
                ScheduleRef::Token(token) => schedules.schedule_by_token(company_id, token),
            };
            let schedule = schedule
                .map_err(|e| Rejection::unavailable(Guard::Resolve, "schedule store", e))?
                .ok_or_else(|| Rejection::ScheduleNotFound {
                    what: match by {
                        ScheduleRef::Id(id) => format!("with id `{id}`"),
                        ScheduleRef::Token(token) => format!("with lead token `{token}`"),
                    },
                })?;
            Ok(Resolved {
                schedule,
                lead: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{InMemoryLeadStore, InMemoryScheduleStore};
    use crate::Lead;
    use crate::{NumberReader, Region};

    fn stores() -> (InMemoryLeadStore, InMemoryScheduleStore) {
        let schedules = InMemoryScheduleStore::new();
        schedules
            .insert(Schedule::dialer("s-a", "acme", "tok-a"))
            .unwrap();
        schedules
            .insert(Schedule::dialer("s-g", "globex", "tok-g"))
            .unwrap();
        let leads = InMemoryLeadStore::new();
        let r = NumberReader::new();
        leads
            .insert(
                Lead::live("l-a", "acme", "s-a", "+17195551234"),
                Region::US,
                &r,
            )
            .unwrap();
        leads
            .insert(
                Lead::live("l-g", "globex", "s-g", "+17195551234"),
                Region::US,
                &r,
            )
            .unwrap();
        leads
            .insert(
                Lead::live("l-orphan", "acme", "s-gone", "+17195551234"),
                Region::US,
                &r,
            )
            .unwrap();
        (leads, schedules)
    }

    fn code(target: Target<'_>) -> Result<String, &'static str> {
        let (leads, schedules) = stores();
        resolve(&target, "acme", Region::US, &leads, &schedules)
            .map(|r| r.schedule.id.clone())
            .map_err(|e| e.code())
    }

    #[test]
    fn finds_own_records() {
        assert_eq!(code(Target::Lead("l-a")), Ok("s-a".into()));
        assert_eq!(
            code(Target::Schedule {
                by: ScheduleRef::Id("s-a"),
                to: ""
            }),
            Ok("s-a".into())
        );
        assert_eq!(
            code(Target::Schedule {
                by: ScheduleRef::Token("tok-a"),
                to: ""
            }),
            Ok("s-a".into())
        );
    }

    #[test]
    fn another_company_is_as_missing() {
        assert_eq!(code(Target::Lead("l-g")), code(Target::Lead("nope")));
        assert_eq!(code(Target::Lead("l-g")), Err("unknown_lead"));
        for by in [
            ScheduleRef::Id("s-g"),
            ScheduleRef::Token("tok-g"),
            ScheduleRef::Id("nope"),
        ] {
            assert_eq!(
                code(Target::Schedule { by, to: "" }),
                Err("schedule_not_found")
            );
        }
    }

    #[test]
    fn a_lead_whose_schedule_is_gone_names_the_schedule() {
        assert_eq!(code(Target::Lead("l-orphan")), Err("schedule_not_found"));
    }
}
