% rebase('layout')
% if error:
<p class="flash error">{{error}}</p>
% end
<form method="post" action="/customers/{{c.id}}" class="card" id="customer-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Full name')}}<input name="name" value="{{c.name}}" required></label>
    <label>{{_('Mobile')}}<input name="mobile" value="{{ctx.mobile(c.mobile)}}" {{'' if ctx.can('contacts') else 'readonly'}}></label>
    <label>{{_('ID number')}}<input name="id_number" value="{{ctx.id_number(c.id_number)}}" {{'' if ctx.can('users') else 'readonly'}}></label>
  </div>
  <div class="row">
    <label>{{_('Gender')}}<select name="gender">
      % for g in genders:
      <option value="{{g}}" {{'selected' if c.gender == g else ''}}>{{ {'M': _('male'), 'F': _('female'), '': _('unknown')}[g] }}</option>
      % end
    </select></label>
    <label>{{_('Region')}}<input name="region" value="{{c.region}}"></label>
    <label>{{_('Language')}}<select name="language">
      % for lang in languages:
      <option value="{{lang}}" {{'selected' if c.language == lang else ''}}>{{ {'zh': _('Chinese'), 'en': _('English')}[lang] }}</option>
      % end
    </select></label>
    <label><input type="checkbox" name="opt_out" value="1" {{'checked' if c.opt_out else ''}}> {{_('No marketing SMS')}}</label>
  </div>
  <div class="row">
    <label>{{_('E-mail address')}}<input name="email" id="email" value="{{ctx.email(c.email)}}" inputmode="email" {{'' if ctx.can('contacts') else 'readonly'}}></label>
    <label>{{_('Notices by')}}<select name="channel" id="channel">
      % for code, words in channels.items():
      <option value="{{code}}" {{'selected' if c.channel == code else ''}}>{{_(words)}}</option>
      % end
    </select></label>
  </div>
  % if c.email_failed_at:
  <p class="flash error" id="email-failed">{{_('The mail server refused a mail to this address on {when}; check the address.').format(when=ctx.when(c.email_failed_at))}}</p>
  % end
  <p class="meta">{{_('Birth date')}}: {{ctx.birth_date(c.birth_date) or '-'}} · {{_('Customer no.')}}: {{c.customer_no or '-'}}</p>
  % if ctx.can('contacts'):
  <button type="submit" id="save">{{_('Save')}}</button>
  % end
</form>
<h2>{{_('Policies')}}</h2>
<div class="table-scroll">
<table id="customer-policies">
  <tr><th>{{_('Policy no.')}}</th><th>{{_('Product')}}</th><th>{{_('Status')}}</th><th class="num">{{_('Premium')}}</th><th>{{_('Next due')}}</th></tr>
  % for p in policies:
  <tr><td><a href="/policies/{{p.id}}">{{p.policy_no}}</a></td><td>{{p.product.name}}</td><td><span class="state">{{_(p.status)}}</span></td><td class="num">{{p.premium}}</td><td>{{p.next_due_date or ''}}</td></tr>
  % end
  % if not policies:
  <tr><td colspan="5" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
% if ctx.can('send') and c.mobile:
<p><a class="button" href="/send?to={{c.mobile}}">{{_('Send SMS')}}</a></p>
% end
<h2>{{_('Text messages')}}</h2>
<div class="table-scroll">
<table id="customer-messages">
  <tr><th>{{_('When')}}</th><th>{{_('Direction')}}</th><th>{{_('Text')}}</th><th>{{_('State')}}</th></tr>
  % for direction, at, m in activity['messages']:
  <tr data-direction="{{direction}}"><td class="muted">{{ctx.when(at)}}</td>
      % if direction == 'out':
      <td><a href="/history/{{m.id}}">{{_('To the customer')}}</a></td>
      % elif ctx.can('inbox'):
      <td><a href="/inbox/{{m.id}}">{{_('From the customer')}}</a></td>
      % else:
      <td>{{_('From the customer')}}</td>
      % end
      <td>{{m.text}}</td><td><span class="state {{m.state}}">{{_(m.state)}}</span></td></tr>
  % end
  % if not activity['messages']:
  <tr><td colspan="4" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
<h2>{{_('E-mails')}}</h2>
<div class="table-scroll">
<table id="customer-mails">
  <tr><th>{{_('When')}}</th><th>{{_('Subject')}}</th><th>{{_('State')}}</th></tr>
  % for m in activity['mails']:
  <tr><td class="muted">{{ctx.when(m.created_at)}}</td><td>{{m.subject}}</td><td><span class="state {{m.state}}">{{_(mail_states[m.state])}}</span></td></tr>
  % end
  % if not activity['mails']:
  <tr><td colspan="3" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
<h2>{{_('Calls')}}</h2>
<div class="table-scroll">
<table id="customer-calls">
  <tr><th>{{_('When')}}</th><th>{{_('Caller')}}</th><th>{{_('Outcome')}}</th></tr>
  % for call in activity['calls']:
  <tr><td class="muted">{{ctx.when(call.started_at)}}</td><td>{{ctx.mobile(call.caller_id)}}</td><td>{{labels['outcome'](call.outcome)}}</td></tr>
  % end
  % if not activity['calls']:
  <tr><td colspan="3" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
<h2>{{_('Tickets')}}</h2>
<div class="table-scroll">
<table id="customer-tickets">
  <tr><th>{{_('Number')}}</th><th>{{_('Category')}}</th><th>{{_('Status')}}</th><th>{{_('Created')}}</th></tr>
  % for t in activity['tickets']:
  <tr><td><a href="{{ticket_href(t)}}">{{t.number}}</a></td><td>{{labels['ticket'](t.kind)}}</td>
      <td>{{labels['ticket'](t.status)}}</td><td class="muted">{{ctx.when(t.created_at)}}</td></tr>
  % end
  % if not activity['tickets']:
  <tr><td colspan="4" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
<h2>{{_('Voice call attempts')}}</h2>
<div class="table-scroll">
<table id="customer-attempts">
  <tr><th>{{_('When')}}</th><th>{{_('Campaign')}}</th><th>{{_('State')}}</th><th>{{_('Result')}}</th></tr>
  % for a in activity['attempts']:
  <tr><td class="muted">{{ctx.when(a.dialled_at or a.queued_at)}}</td><td><a href="/voice/{{a.campaign.id}}">{{a.campaign.name}}</a></td>
      <td>{{labels['attempt'](a.state)}}</td><td>{{labels['result'](a.result)}}</td></tr>
  % end
  % if not activity['attempts']:
  <tr><td colspan="4" class="muted">{{_('Nothing here.')}}</td></tr>
  % end
</table>
</div>
<p><a href="/customers">{{_('Back')}}</a></p>
