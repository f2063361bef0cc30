-- The goal area (målområde) each submitted need names, so that its plan is linked to the
-- city plan's goal area from the start (either event may arrive first).
CREATE TABLE need_goal_areas (
    initiative_id  uuid PRIMARY KEY,
    goal_area      text NOT NULL,
    received_at    timestamptz NOT NULL
);
