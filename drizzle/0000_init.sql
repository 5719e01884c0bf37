CREATE TABLE `completions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`request_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`started_at` integer NOT NULL,
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`locality` text NOT NULL,
	`streamed` integer NOT NULL,
	`outcome` text NOT NULL,
	`error_kind` text,
	`error_message` text,
	`finish_reason` text,
	`time_to_first_token_ms` real,
	`duration_ms` real NOT NULL,
	`overhead_ms` real,
	`prompt_tokens` integer,
	`completion_tokens` integer,
	`cached_prompt_tokens` integer,
	`cost_dollars` real,
	`load_duration_ns` integer,
	`prompt_eval_count` integer,
	`prompt_eval_duration_ns` integer,
	`eval_count` integer,
	`eval_duration_ns` integer,
	`total_duration_ns` integer,
	`done_reason` text,
	`prefill_tokens_per_second` real,
	`decode_tokens_per_second` real,
	`cold_start` integer,
	`num_ctx` integer,
	`prompt_chars` integer NOT NULL,
	`estimated_prompt_tokens` integer NOT NULL,
	`estimated_cached_tokens` integer,
	`message_count` integer NOT NULL,
	`tool_count` integer NOT NULL,
	`image_count` integer NOT NULL,
	`decision_reason` text,
	`complexity` text,
	`predicted_ttft_ms` real,
	`predicted_total_ms` real,
	`escalated_from` text,
	`system_sample_id` integer,
	FOREIGN KEY (`system_sample_id`) REFERENCES `system_samples`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `completions_provider_model_started_at_idx` ON `completions` (`provider`,`model`,`started_at`);--> statement-breakpoint
CREATE INDEX `completions_request_id_idx` ON `completions` (`request_id`);--> statement-breakpoint
CREATE TABLE `learned_outcomes` (
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`complexity` text NOT NULL,
	`successes` real NOT NULL,
	`failures` real NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `model`, `complexity`)
);
--> statement-breakpoint
CREATE TABLE `system_samples` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sampled_at` integer NOT NULL,
	`cpu_load_percent` real NOT NULL,
	`memory_used_bytes` integer NOT NULL,
	`memory_total_bytes` integer NOT NULL,
	`gpu_utilization_percent` real,
	`vram_used_bytes` integer,
	`vram_total_bytes` integer
);
--> statement-breakpoint
CREATE INDEX `system_samples_sampled_at_idx` ON `system_samples` (`sampled_at`);