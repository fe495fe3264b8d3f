//! Triage: a question's answer recorded (and the recommendation it changes), and the response
//! chosen for a call, with the reason when it is not the one recommended.

use crate::domain::event::Body;
use crate::domain::planning::{open_call, refuse, text_field};
use crate::domain::state::State;
use crate::domain::triage::ResponseType;

use crate::domain::planning::{Context, Refusal};

pub(super) fn ask(
    state: &State,
    call: &str,
    question: &str,
    answer: &str,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "triage")?;
    let (question, answer) = ctx
        .policy
        .protocol
        .answer(question, answer)
        .map_err(Refusal)?;
    if c.answers.get(&question) == Some(&answer) {
        refuse!("{} already has {question} = {answer}", c.id);
    }
    let mut answers = c.answers.clone();
    answers.insert(question.clone(), answer.clone());
    let mut bodies = vec![Body::TriageAnswered {
        call: c.id.clone(),
        question,
        answer,
    }];
    let recommendation =
        crate::domain::recommend::recommendation_with(state, c, &answers, &ctx.policy.protocol);
    if c.recommendation.as_ref() != Some(&recommendation) {
        bodies.push(Body::Recommended {
            call: c.id.clone(),
            recommendation,
        });
    }
    Ok(bodies)
}

pub(super) fn respond(
    state: &State,
    call: &str,
    response: ResponseType,
    reason: Option<&str>,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "choose a response for")?;
    let reason = reason
        .map(|r| text_field("reason", r))
        .transpose()?
        .filter(|r| !r.is_empty());
    let recommended = c.recommendation.clone().unwrap_or_else(|| {
        crate::domain::recommend::recommendation(state, c, &ctx.policy.protocol)
    });
    if c.response == Some(response) {
        refuse!("{} is already worked as {response}", c.id);
    }
    let overrides = (recommended.response != response).then_some(recommended.response);
    if let Some(o) = overrides {
        if reason.is_none() {
            refuse!(
                "the protocol recommends {o} (rule {}); overriding it needs a reason: respond {} \
                 {response} --reason <why>",
                recommended.rule,
                c.id
            );
        }
    }
    let mut bodies = Vec::new();
    if c.recommendation.is_none() {
        bodies.push(Body::Recommended {
            call: c.id.clone(),
            recommendation: recommended,
        });
    }
    bodies.push(Body::ResponseChosen {
        call: c.id.clone(),
        response,
        overrides,
        reason,
    });
    Ok(bodies)
}
