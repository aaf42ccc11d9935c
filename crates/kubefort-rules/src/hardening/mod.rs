//! Defence in depth that the peers recommend but that is a matter of policy
//! (opt-in): read-only root file systems, high UIDs, no root group, no
//! writable host paths, no secrets in environment variables.

pub mod default_sa_automount;
pub mod host_aliases;
pub mod low_user_id;
pub mod read_only_root_fs;
pub mod root_group;
pub mod secret_env_var;
pub mod service_account_token;
pub mod writable_host_path;
