% rebase('layout')
% if error:
<p class="flash error">{{error}}</p>
% end
<form method="post" action="/staff/{{s.id}}" class="card" id="staff-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <p class="meta">{{_('Badge no.')}}: {{s.badge_no}} · {{_('Licence no.')}}: {{s.licence_no or '-'}}</p>
  <div class="row">
    <label>{{_('Full name')}}<input name="name" value="{{s.name}}" required></label>
    <label>{{_('Mobile')}}<input name="mobile" value="{{ctx.mobile(s.mobile)}}"></label>
    <label>{{_('Department')}}<input name="department" value="{{s.department}}"></label>
    <label>{{_('Branch')}}<input name="branch" value="{{s.branch}}"></label>
    <label>{{_('Status')}}<select name="status">
      % for st in statuses:
      <option value="{{st}}" {{'selected' if s.status == st else ''}}>{{_(st)}}</option>
      % end
    </select></label>
    <label><input type="checkbox" name="greetings_opt_out" value="1" {{'checked' if s.greetings_opt_out else ''}}> {{_('No birthday greeting, no reminder to colleagues')}}</label>
  </div>
  % if ctx.can('contacts'):
  <button type="submit">{{_('Save')}}</button>
  % end
</form>
<section class="card" id="staff-pin">
  <h2>{{_('Staff line PIN')}}</h2>
  % if not pin['has_pin']:
  <p id="pin-state">{{_('No PIN set: this person cannot use the staff line yet.')}}</p>
  % elif pin['locked_until']:
  <p id="pin-state"><span class="state overdue">{{_('Locked until {when}').format(when=ctx.when(pin['locked_until']))}}</span></p>
  % else:
  <p id="pin-state">{{_('Has a PIN')}}{{(' · ' + _('{count} wrong PIN(s) in a row').format(count=pin['failures'])) if pin['failures'] else ''}}</p>
  % end
  % if ctx.can('users') and (pin['locked_until'] or pin['failures']):
  <form method="post" action="/staff/{{s.id}}/unlock">
    <input type="hidden" name="csrf" value="{{ctx.csrf}}">
    <button type="submit" id="pin-unlock">{{_('Unlock the PIN')}}</button>
  </form>
  % end
</section>
