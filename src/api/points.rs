//! Restore points of an organization, and the names of their jobs and repositories.

use super::client::{Client, page_q, seg};
use super::error::ApiError;
use super::models::{Named, Page, RestorePoint};
use std::collections::BTreeMap;

/// A page of restore points with the names of their jobs and repositories (id → name; an id whose
/// resource could not be read is missing: restore operators may not be allowed to read jobs).
#[derive(Clone, Debug)]
pub struct NamedPoints {
    pub page: Page<RestorePoint>,
    pub names: BTreeMap<String, String>,
}

/// Newest first; points without a readable time last.
fn newest_first(points: &mut [RestorePoint]) {
    points.sort_by(|a, b| {
        let t = |p: &RestorePoint| p.backup_time.as_ref().and_then(|d| d.as_utc());
        t(b).cmp(&t(a))
    });
}

impl Client {
    /// One page of an organization's restore points, newest first. v7/v8 page on the server
    /// (`orderAsc=false`; the order within the page is made sure of here too); v6 answers every point in
    /// one array, which is sorted and cut here (`totalCount` then says how many there are).
    pub async fn restore_points(
        &self,
        organization_id: &str,
        offset: u64,
        limit: u32,
    ) -> Result<Page<RestorePoint>, ApiError> {
        let paged = self.version().is_some_and(|v| v.restore_points_paged());
        let org = ("organizationId", organization_id.to_string());
        if paged {
            let mut q = page_q(offset, limit)?;
            q.push(org);
            q.push(("orderAsc", "false".into()));
            let mut page: Page<RestorePoint> = self.get_json("RestorePoints", &q).await?;
            newest_first(&mut page.results);
            return Ok(page);
        }
        let mut all: Vec<RestorePoint> = self.get_json("RestorePoints", &[org]).await?;
        newest_first(&mut all);
        let total = all.len() as i64;
        let results: Vec<RestorePoint> = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit as usize)
            .collect();
        Ok(Page {
            offset: offset as i64,
            limit: i64::from(limit),
            set_id: None,
            results,
            links: Default::default(),
            total_count: Some(total),
        })
    }

    /// A backup job (`GET Jobs/{jobId}`): vex reads its name.
    pub async fn job(&self, job_id: &str) -> Result<Named, ApiError> {
        self.get_json(&format!("Jobs/{}", seg(job_id)), &[]).await
    }

    /// A backup repository (`GET BackupRepositories/{repositoryId}`): vex reads its name.
    pub async fn repository(&self, repository_id: &str) -> Result<Named, ApiError> {
        self.get_json(&format!("BackupRepositories/{}", seg(repository_id)), &[])
            .await
    }

    /// The names of the jobs and repositories of `points` that are not in `known` (each id asked once;
    /// one that cannot be read is left out and shown as its id).
    pub async fn point_names(&self, points: &[RestorePoint], known: &[String]) -> BTreeMap<String, String> {
        let mut names = BTreeMap::new();
        let mut asked: std::collections::HashSet<&str> = known.iter().map(String::as_str).collect();
        for p in points {
            if let Some(j) = p.job_id.as_deref()
                && asked.insert(j)
                && let Ok(n) = self.job(j).await
                && let Some(name) = n.name
            {
                names.insert(j.to_string(), name);
            }
            if let Some(r) = p.repository_id.as_deref()
                && asked.insert(r)
                && let Ok(n) = self.repository(r).await
                && let Some(name) = n.name
            {
                names.insert(r.to_string(), name);
            }
        }
        names
    }
}
