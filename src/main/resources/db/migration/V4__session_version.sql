-- Every session token carries its user's session_version; logging out or changing the password
-- raises it, so the older tokens are refused on every node (each authenticated request reads it).
ALTER TABLE ups_user ADD COLUMN session_version BIGINT DEFAULT 0 NOT NULL;
