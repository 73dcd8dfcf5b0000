CREATE TABLE `exercises` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`name` text,
	`category` text,
	`duration_sec` integer,
	`completed_at` integer,
	`notes` text,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `exercises_server_id_unique` ON `exercises` (`server_id`);--> statement-breakpoint
CREATE TABLE `forms` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`pin_id` text,
	`template` text,
	`answers` text,
	`status` text,
	`created_by` text,
	`server_version` integer,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `forms_server_id_unique` ON `forms` (`server_id`);--> statement-breakpoint
CREATE TABLE `health_data` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`metric_type` text,
	`value` real,
	`unit` text,
	`recorded_at` integer,
	`source` text,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `health_data_server_id_unique` ON `health_data` (`server_id`);--> statement-breakpoint
CREATE TABLE `migration_log` (
	`id` integer PRIMARY KEY NOT NULL,
	`migrated_at` integer NOT NULL,
	`profile` text NOT NULL,
	`conflict_rule` text NOT NULL,
	`sources` text NOT NULL,
	`counts` text NOT NULL,
	`digests` text NOT NULL,
	`report` text NOT NULL,
	`syncdoc_version` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `moods` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`mood` text,
	`rating` integer,
	`note` text,
	`tags` text,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `moods_server_id_unique` ON `moods` (`server_id`);--> statement-breakpoint
CREATE TABLE `pins` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`title` text,
	`description` text,
	`latitude` real,
	`longitude` real,
	`category` text,
	`created_by` text,
	`server_version` integer,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pins_server_id_unique` ON `pins` (`server_id`);--> statement-breakpoint
CREATE TABLE `quotes` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`text` text,
	`author` text,
	`is_favorite` integer,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quotes_server_id_unique` ON `quotes` (`server_id`);--> statement-breakpoint
CREATE TABLE `records` (
	`collection` text NOT NULL,
	`client_id` text NOT NULL,
	`server_id` text,
	`user_id` text,
	`data` text NOT NULL,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `records_collection_client_id` ON `records` (`collection`,`client_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `records_collection_server_id` ON `records` (`collection`,`server_id`);--> statement-breakpoint
CREATE TABLE `sync_metadata` (
	`collection` text PRIMARY KEY NOT NULL,
	`cursor` text,
	`last_sync_at` integer,
	`initial_sync_complete` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sync_queue` (
	`id` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`collection` text NOT NULL,
	`record_client_id` text NOT NULL,
	`op` text NOT NULL,
	`payload` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer,
	`next_attempt_at` integer,
	`last_error` text,
	`depends_on` text,
	`created_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sync_queue_seq_unique` ON `sync_queue` (`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `sync_queue_idempotency_key_unique` ON `sync_queue` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `sync_queue_status_seq` ON `sync_queue` (`status`,`seq`);--> statement-breakpoint
CREATE INDEX `sync_queue_record` ON `sync_queue` (`collection`,`record_client_id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`text` text,
	`is_completed` integer,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_server_id_unique` ON `tasks` (`server_id`);--> statement-breakpoint
CREATE TABLE `text_notes` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`title` text,
	`body` text,
	`is_pinned` integer,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `text_notes_server_id_unique` ON `text_notes` (`server_id`);--> statement-breakpoint
CREATE TABLE `user_progress` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`streak_days` integer,
	`total_sessions` integer,
	`total_minutes` integer,
	`last_activity_at` integer,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_progress_server_id_unique` ON `user_progress` (`server_id`);--> statement-breakpoint
CREATE TABLE `voice_notes` (
	`client_id` text PRIMARY KEY NOT NULL,
	`server_id` text,
	`user_id` text,
	`title` text,
	`audio_uri` text,
	`duration_ms` integer,
	`transcript` text,
	`created_at` integer,
	`updated_at` integer,
	`deleted_at` integer,
	`version` integer,
	`vector_clock` text,
	`sync_status` text NOT NULL,
	`row_checksum` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `voice_notes_server_id_unique` ON `voice_notes` (`server_id`);