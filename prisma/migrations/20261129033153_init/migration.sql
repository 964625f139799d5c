-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED');

-- CreateEnum
CREATE TYPE "RunSource" AS ENUM ('TRAINED', 'IMPORTED');

-- CreateEnum
CREATE TYPE "Split" AS ENUM ('TRAIN', 'TEST');

-- CreateTable
CREATE TABLE "Experiment" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Experiment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" SERIAL NOT NULL,
    "experimentId" INTEGER,
    "model" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "length" INTEGER,
    "units" INTEGER NOT NULL,
    "layers" INTEGER NOT NULL DEFAULT 1,
    "config" JSONB NOT NULL,
    "seed" INTEGER NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "source" "RunSource" NOT NULL DEFAULT 'TRAINED',
    "engine" TEXT,
    "backend" TEXT,
    "workerHost" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "heartbeatAt" TIMESTAMPTZ(3),
    "error" TEXT,
    "currentStep" INTEGER NOT NULL DEFAULT 0,
    "totalSteps" INTEGER NOT NULL,
    "divergedStep" INTEGER,
    "jobId" TEXT,

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MetricSeries" (
    "id" SERIAL NOT NULL,
    "runId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "split" "Split" NOT NULL,

    CONSTRAINT "MetricSeries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MetricPoint" (
    "seriesId" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "wallTime" REAL NOT NULL,

    CONSTRAINT "MetricPoint_pkey" PRIMARY KEY ("seriesId","step")
);

-- CreateTable
CREATE TABLE "HiddenStateSnapshot" (
    "id" SERIAL NOT NULL,
    "runId" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "sample" INTEGER NOT NULL,
    "layer" INTEGER NOT NULL DEFAULT 0,
    "timeSteps" INTEGER NOT NULL,
    "units" INTEGER NOT NULL,
    "codec" TEXT NOT NULL,
    "codecParams" JSONB NOT NULL,
    "data" BYTEA NOT NULL,
    "events" JSONB NOT NULL,

    CONSTRAINT "HiddenStateSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Checkpoint" (
    "id" SERIAL NOT NULL,
    "runId" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "params" BYTEA NOT NULL,
    "optimizer" BYTEA NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Checkpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ShareLink" (
    "token" TEXT NOT NULL,
    "view" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3),

    CONSTRAINT "ShareLink_pkey" PRIMARY KEY ("token")
);

-- CreateIndex
CREATE UNIQUE INDEX "Experiment_name_key" ON "Experiment"("name");

-- CreateIndex
CREATE INDEX "Run_experimentId_idx" ON "Run"("experimentId");

-- CreateIndex
CREATE INDEX "Run_status_idx" ON "Run"("status");

-- CreateIndex
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");

-- CreateIndex
CREATE INDEX "Run_task_model_idx" ON "Run"("task", "model");

-- CreateIndex
CREATE UNIQUE INDEX "MetricSeries_runId_name_split_key" ON "MetricSeries"("runId", "name", "split");

-- CreateIndex
CREATE UNIQUE INDEX "HiddenStateSnapshot_runId_step_sample_layer_key" ON "HiddenStateSnapshot"("runId", "step", "sample", "layer");

-- CreateIndex
CREATE UNIQUE INDEX "Checkpoint_runId_step_key" ON "Checkpoint"("runId", "step");

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricSeries" ADD CONSTRAINT "MetricSeries_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricPoint" ADD CONSTRAINT "MetricPoint_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "MetricSeries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HiddenStateSnapshot" ADD CONSTRAINT "HiddenStateSnapshot_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Checkpoint" ADD CONSTRAINT "Checkpoint_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
