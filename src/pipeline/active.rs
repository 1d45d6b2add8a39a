//! Step 3, active: the resolved schedule accepts calls.

use crate::model::Schedule;
use crate::rejection::Rejection;

/// Refuses an inactive schedule.
pub(crate) fn check(schedule: &Schedule) -> Result<(), Rejection> {
    if schedule.active {
        Ok(())
    } else {
        Err(Rejection::ScheduleInactive {
            schedule_id: schedule.id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inactive_is_refused_by_name() {
        let mut s = Schedule::dialer("sch-paused", "acme", "t");
        assert!(check(&s).is_ok());
        s.active = false;
        let err = check(&s).unwrap_err();
        assert_eq!(err.code(), "schedule_inactive");
        assert!(err.to_string().contains("`sch-paused`"));
    }
}
