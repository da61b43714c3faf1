// GET /retirements/plans/{planId} → the plan as JSON, or as the HTML report for a browser
// (Accept: text/html): self-contained, fetching nothing, under a strict Content-Security-Policy.
// Either is gzipped when large and the caller accepts it.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { PlanNotFound } from '../../lib/errors/errors.js';
import {
  REPORT_CONTENT_SECURITY_POLICY,
  renderPlanReport,
} from '../../lib/retirement/report-html.js';
import { retirementServices } from '../../lib/runtime/retirement-services.js';
import {
  compressedFor,
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  htmlResponse,
  jsonResponse,
  prefersHtml,
  refuseQueryAndBody,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { parseInput, planRefSchema } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'read-plan'))
  .handler(async (event, context) => {
    refuseQueryAndBody(event);
    const { planId } = parseInput(planRefSchema, { planId: event.pathParameters?.planId });
    const plan = await retirementServices().plans.get(planId);
    if (plan === undefined) throw new PlanNotFound(`no plan ${planId} is stored`);
    // Counted by the plan's cloud, as plan and apply are (the route names none).
    invocationOf(context).context.provider = plan.policy.provider;
    // The same URL answers JSON or the report by Accept: a cache must key on it too.
    const vary = { vary: 'accept' };
    return compressedFor(
      event,
      prefersHtml(event)
        ? htmlResponse(200, renderPlanReport(plan), {
            'content-security-policy': REPORT_CONTENT_SECURITY_POLICY,
            ...vary,
          })
        : jsonResponse(200, plan, vary),
      `plan ${planId}`,
    );
  });
