//! The application's state directory, `<state.dir>/<application.id>`: one
//! instance at a time holds it (a lock file, so a second instance on the same
//! directory fails at startup instead of corrupting the first one's stores),
//! it keeps the instance's process id across restarts (the stable part of the
//! transactional ids, as Kafka Streams' process metadata file), and it hands
//! out task directories to one stream thread at a time.

use super::RuntimeError;
use crate::error::StreamsError;
use crate::task::TaskId;
use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The lock file inside the application's state directory.
pub const LOCK_FILE: &str = ".lock";
/// The file keeping the process id, inside the application's state directory.
pub const PROCESS_METADATA_FILE: &str = "kafka-streams-process-metadata";

/// Who holds a task directory: one stream thread's run (a replaced thread
/// gets a new owner, so nothing of its predecessor's stays held).
pub(crate) type TaskOwner = u64;

/// A locked application state directory.
#[derive(Debug)]
pub(crate) struct StateDirectory {
    path: PathBuf,
    /// Held (an exclusive `flock`) until released or dropped; the OS releases
    /// it when the process dies, so a killed instance never leaves a stale lock.
    lock: Mutex<Option<File>>,
    process_id: String,
    task_owners: Mutex<HashMap<TaskId, TaskOwner>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProcessMetadata {
    process_id: String,
}

fn directory_error(path: &Path, source: std::io::Error) -> RuntimeError {
    StreamsError::StateDirectory {
        path: path.to_path_buf(),
        source,
    }
    .into()
}

impl StateDirectory {
    /// Creates `path` if needed and locks it; fails when another instance
    /// (in this process or another) holds it.
    pub(crate) fn lock(path: PathBuf) -> Result<Self, RuntimeError> {
        std::fs::create_dir_all(&path).map_err(|e| directory_error(&path, e))?;
        let lock_path = path.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| directory_error(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(RuntimeError::StateDirectoryLocked { path });
            }
            Err(TryLockError::Error(source)) => return Err(directory_error(&lock_path, source)),
        }
        let process_id = Self::process_id_in(&path)?;
        Ok(Self {
            path,
            lock: Mutex::new(Some(lock)),
            process_id,
            task_owners: Mutex::default(),
        })
    }

    /// The process id kept in the directory, or a new one written there.
    fn process_id_in(path: &Path) -> Result<String, RuntimeError> {
        let file = path.join(PROCESS_METADATA_FILE);
        match std::fs::read(&file) {
            Ok(bytes) => match serde_json::from_slice::<ProcessMetadata>(&bytes) {
                Ok(metadata) if !metadata.process_id.is_empty() => return Ok(metadata.process_id),
                _ => {
                    tracing::warn!(file = %file.display(), "unreadable process metadata; starting with a new process id")
                }
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(directory_error(&file, error)),
        }
        let metadata = ProcessMetadata {
            process_id: uuid::Uuid::new_v4().to_string(),
        };
        let bytes = serde_json::to_vec(&metadata)
            .map_err(|e| directory_error(&file, std::io::Error::other(e)))?;
        let temporary = file.with_extension("tmp");
        std::fs::write(&temporary, bytes)
            .and_then(|()| std::fs::rename(&temporary, &file))
            .map_err(|e| directory_error(&file, e))?;
        Ok(metadata.process_id)
    }

    /// Lets another instance have the directory (the instance stopped).
    pub(crate) fn release(&self) {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The instance's process id (stable across restarts on this directory).
    pub(crate) fn process_id(&self) -> &str {
        &self.process_id
    }

    /// The directory of `task`'s stores.
    pub(crate) fn task_dir(&self, task: TaskId) -> PathBuf {
        self.path.join(task.to_string())
    }

    fn owners(&self) -> std::sync::MutexGuard<'_, HashMap<TaskId, TaskOwner>> {
        self.task_owners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes `task`'s directory for `owner`; false while another owner holds it.
    pub(crate) fn lock_task(&self, task: TaskId, owner: TaskOwner) -> bool {
        *self.owners().entry(task).or_insert(owner) == owner
    }

    /// Gives `task`'s directory back (if `owner` holds it).
    pub(crate) fn unlock_task(&self, task: TaskId, owner: TaskOwner) {
        let mut owners = self.owners();
        if owners.get(&task) == Some(&owner) {
            owners.remove(&task);
        }
    }

    /// Gives back every task directory `owner` holds.
    pub(crate) fn unlock_all(&self, owner: TaskOwner) {
        self.owners().retain(|_, held_by| *held_by != owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: TaskId = TaskId {
        subtopology: 1,
        partition: 2,
    };

    #[test]
    fn a_second_instance_on_the_same_directory_is_refused_until_the_first_lets_go() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("app");
        let first = StateDirectory::lock(path.clone()).unwrap();
        let error = StateDirectory::lock(path.clone()).unwrap_err();
        assert!(
            matches!(&error, RuntimeError::StateDirectoryLocked { path: locked } if *locked == path),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&path.display().to_string()) && message.contains("state.dir"),
            "{message}"
        );
        first.release();
        let second = StateDirectory::lock(path.clone()).unwrap();
        drop(second);
        StateDirectory::lock(path).unwrap();
    }

    #[test]
    fn the_process_id_survives_restarts_and_differs_between_directories() {
        let root = tempfile::tempdir().unwrap();
        let first = StateDirectory::lock(root.path().join("a")).unwrap();
        let id = first.process_id().to_string();
        assert_eq!(id.len(), 36, "a UUID: {id}");
        drop(first);
        let again = StateDirectory::lock(root.path().join("a")).unwrap();
        assert_eq!(again.process_id(), id);
        let other = StateDirectory::lock(root.path().join("b")).unwrap();
        assert_ne!(other.process_id(), id);
        let stored =
            std::fs::read_to_string(root.path().join("a").join(PROCESS_METADATA_FILE)).unwrap();
        assert!(
            stored.contains(&format!("\"processId\":\"{id}\"")),
            "{stored}"
        );
    }

    #[test]
    fn a_task_directory_has_one_owner_at_a_time() {
        let root = tempfile::tempdir().unwrap();
        let directory = StateDirectory::lock(root.path().join("app")).unwrap();
        assert!(directory.lock_task(TASK, 1));
        assert!(directory.lock_task(TASK, 1), "re-entrant for its owner");
        assert!(!directory.lock_task(TASK, 2));
        directory.unlock_task(TASK, 2);
        assert!(!directory.lock_task(TASK, 2), "only the owner unlocks");
        directory.unlock_task(TASK, 1);
        assert!(directory.lock_task(TASK, 2));
        directory.unlock_all(2);
        assert!(directory.lock_task(TASK, 3));
        assert_eq!(
            directory.task_dir(TASK),
            root.path().join("app").join("1_2")
        );
    }
}
