//! Backup jobs, repositories and restore points of the seeded organizations, generated from the
//! organization alone (a few dozen points each, cheap to rebuild per request).
//!
//! Per organization: a daily Exchange and OneDrive job to the local repository (02:00, the last
//! [`DAILY_POINTS`] days up to the organization's last backup), a SharePoint and Teams job to the same
//! repository every other day at 22:00 (no Exchange data: the new-session dialog must say so), and a weekly
//! backup copy to an archive-tier object storage repository (`isCopy`, `isLongTermCopy`). Every point lies
//! between the organization's first and last backup.

use super::data::{Data, OrgInfo};
use super::rng::hash;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub const DAILY_POINTS: i64 = 30;
const COPY_POINTS: i64 = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoInfo {
    pub id: Uuid,
    pub name: String,
    pub path: String,
    pub long_term: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobInfo {
    pub id: Uuid,
    pub name: String,
    pub repository: Uuid,
    pub org: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointInfo {
    pub id: Uuid,
    pub org: u8,
    pub job: Uuid,
    pub repository: Uuid,
    pub time: OffsetDateTime,
    pub exchange: bool,
    pub sharepoint: bool,
    pub onedrive: bool,
    pub teams: bool,
    pub copy: bool,
    pub long_term: bool,
}

fn id(seed: u64, parts: &[u64]) -> Uuid {
    let a = hash(&[&[seed, 0x5250], parts].concat());
    let b = hash(&[a, 0x77]);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The two repositories of an organization: local, and archive-tier object storage.
pub fn repositories(data: &Data, org: &OrgInfo) -> [RepoInfo; 2] {
    let o = u64::from(org.index);
    [
        RepoInfo {
            id: id(data.seed, &[o, 1]),
            name: format!("Local repository ({})", org.domain),
            path: format!("D:\\VeeamRepository\\{}", org.domain),
            long_term: false,
        },
        RepoInfo {
            id: id(data.seed, &[o, 2]),
            name: "Azure Blob Archive".into(),
            path: format!("archive/{}", org.domain),
            long_term: true,
        },
    ]
}

/// The three jobs of an organization: Exchange daily, SharePoint and Teams, backup copy.
pub fn jobs(data: &Data, org: &OrgInfo) -> [JobInfo; 3] {
    let o = u64::from(org.index);
    let [local, archive] = repositories(data, org);
    [
        JobInfo {
            id: id(data.seed, &[o, 10]),
            name: "Exchange and OneDrive daily".into(),
            repository: local.id,
            org: org.index,
        },
        JobInfo {
            id: id(data.seed, &[o, 11]),
            name: "SharePoint and Teams".into(),
            repository: local.id,
            org: org.index,
        },
        JobInfo {
            id: id(data.seed, &[o, 12]),
            name: "Copy to Azure Blob Archive".into(),
            repository: archive.id,
            org: org.index,
        },
    ]
}

/// Every restore point of an organization, oldest first.
pub fn points(data: &Data, org: &OrgInfo) -> Vec<PointInfo> {
    let o = u64::from(org.index);
    let [daily, sharepoint, copy] = jobs(data, org);
    let last = org.last_backup;
    let mut out = Vec::new();
    let mut push = |n: i64, job: &JobInfo, time: OffsetDateTime, kind: u8| {
        if time < org.first_backup || time > last {
            return;
        }
        out.push(PointInfo {
            id: id(data.seed, &[o, 100 + u64::from(kind), n as u64]),
            org: org.index,
            job: job.id,
            repository: job.repository,
            time,
            exchange: kind != 1,
            sharepoint: kind == 1,
            onedrive: kind != 1,
            teams: kind == 1,
            copy: kind == 2,
            long_term: kind == 2,
        });
    };
    for n in 0..DAILY_POINTS {
        push(n, &daily, last - Duration::days(n), 0);
    }
    // SharePoint and Teams at 22:00 every other day.
    for n in 0..DAILY_POINTS / 2 {
        push(n, &sharepoint, last - Duration::hours(4) - Duration::days(2 * n), 1);
    }
    // The weekly copy runs four hours after the daily job.
    for n in 0..COPY_POINTS {
        push(n, &copy, last + Duration::hours(4) - Duration::days(7 * n + 7), 2);
    }
    out.sort_by_key(|p| p.time);
    out
}

/// Finds a job of any organization.
pub fn job_by_id(data: &Data, job: &Uuid) -> Option<JobInfo> {
    data.orgs.iter().flat_map(|o| jobs(data, o)).find(|j| j.id == *job)
}

/// Finds a repository of any organization.
pub fn repository_by_id(data: &Data, repo: &Uuid) -> Option<RepoInfo> {
    data.orgs
        .iter()
        .flat_map(|o| repositories(data, o))
        .find(|r| r.id == *repo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_lie_within_the_backups_and_some_hold_no_exchange_data() {
        let d = Data::new(42);
        for o in &d.orgs {
            let p = points(&d, o);
            assert!(p.len() >= 40, "{}", p.len());
            assert!(p.windows(2).all(|w| w[0].time <= w[1].time));
            assert!(p.iter().all(|x| x.time >= o.first_backup && x.time <= o.last_backup));
            assert_eq!(p.last().map(|x| x.time), Some(o.last_backup));
            assert!(p.iter().any(|x| !x.exchange) && p.iter().any(|x| x.copy && x.long_term));
            let ids: std::collections::HashSet<_> = p.iter().map(|x| x.id).collect();
            assert_eq!(ids.len(), p.len(), "ids are unique");
            for x in &p {
                let j = job_by_id(&d, &x.job).expect("its job");
                assert_eq!(j.repository, x.repository);
                assert!(repository_by_id(&d, &x.repository).is_some());
            }
        }
        assert_eq!(points(&d, &d.orgs[0]), points(&Data::new(42), &Data::new(42).orgs[0]));
    }
}
