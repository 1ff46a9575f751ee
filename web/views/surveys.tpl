% rebase('layout')
<form method="get" action="/surveys" class="card row" id="surveys-filter">
  <label>{{_('Sent from')}}<input type="date" name="since" id="filter-since" value="{{filters['since']}}"></label>
  <label>{{_('Sent until')}}<input type="date" name="until" id="filter-until" value="{{filters['until']}}"></label>
  <button type="submit" id="filter">{{_('Filter')}}</button>
  <a class="button secondary" href="{{csv_url}}" id="surveys-csv" download>{{_('Export CSV')}}</a>
</form>
<p id="surveys-links"><a href="/voice" id="voice-surveys">{{_('Voice surveys (answers by key) are on the voice campaigns page')}} →</a></p>
% if error:
<p class="flash error" role="alert" id="survey-error">{{error}}</p>
% end
% if ctx.can('campaigns'):
<details class="card" id="survey-new" {{'open' if error or not rows else ''}}>
  <summary>{{_('Send an SMS survey')}}</summary>
  <form method="post" action="/surveys/confirm" id="survey-form">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <div class="row">
      <label>{{_('Name')}}<input name="name" id="survey-name" value="{{form.get('name', '')}}" required></label>
      <label>{{_('Group')}}<select name="group" id="survey-group"><option value="">—</option>
        % for g in groups:
        <option value="{{g.id}}" {{'selected' if str(g.id) == form.get('group') else ''}}>{{g.name}}</option>
        % end
      </select></label>
      <label>{{_('Department')}}<input name="department" value="{{form.get('department', '')}}"></label>
    </div>
    <label>{{_('Question (the SMS adds: please reply 1-5)')}}<textarea name="question" id="survey-question" rows="2" required>{{form.get('question', '')}}</textarea></label>
    <button type="submit" id="survey-check">{{_('Check before sending')}}</button>
  </form>
</details>
% end
% if not rows:
<p class="muted" id="surveys-none">{{_('No SMS survey has been sent yet. A survey asks a group a question by SMS and counts the replies 1 to 5.')}}</p>
% end
% for t in rows:
<section class="card survey" data-survey="{{t['campaign_id']}}">
  <h2>{{t['name']}}</h2>
  <p>{{t['question']}}</p>
  <p class="meta">{{ctx.when(t['created_at'])}} · {{_('Questions sent')}} <b data-field="sent">{{t['sent']}}</b> ·
     {{_('Answers')}} <b data-field="answers">{{t['answers']}}</b> ·
     {{_('Response rate')}} <b data-field="rate">{{t['rate'] or '—'}}</b> ·
     {{_('Average score')}} <b data-field="average">{{'—' if t['average'] is None else t['average']}}</b></p>
  <div class="table-scroll">
  <table class="tally">
    <tr>
    % for s in scores:
      <th>{{_('{score} points').format(score=s)}}</th>
    % end
    </tr>
    <tr>
    % for s in scores:
      <td class="num" data-score="{{s}}">{{t['scores'][s]}}</td>
    % end
    </tr>
  </table>
  </div>
  <p><a href="/surveys/{{t['campaign_id']}}/answers.csv" class="survey-answers-csv" download>{{_('Answers as CSV')}}</a></p>
</section>
% end
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
