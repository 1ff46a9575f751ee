% rebase('layout')
% if error:
<p class="flash error">{{error}}</p>
% end
<form method="post" action="/customers/{{c.id}}" class="card" id="customer-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Name')}}<input name="name" value="{{c.name}}" required></label>
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
      <option value="{{lang}}" {{'selected' if c.language == lang else ''}}>{{lang}}</option>
      % end
    </select></label>
    <label><input type="checkbox" name="opt_out" value="1" {{'checked' if c.opt_out else ''}}> {{_('No marketing SMS')}}</label>
  </div>
  <p class="meta">{{_('Birth date')}}: {{ctx.birth_date(c.birth_date) or '-'}} · {{_('Customer no.')}}: {{c.customer_no or '-'}}</p>
  % if ctx.can('contacts'):
  <button type="submit" id="save">{{_('Save')}}</button>
  % end
</form>
<h2>{{_('Policies')}}</h2>
<table>
  <tr><th>{{_('Policy no.')}}</th><th>{{_('Product')}}</th><th>{{_('Status')}}</th><th class="num">{{_('Premium')}}</th><th>{{_('Next due')}}</th></tr>
  % for p in policies:
  <tr><td><a href="/policies/{{p.id}}">{{p.policy_no}}</a></td><td>{{p.product.name}}</td><td><span class="state">{{_(p.status)}}</span></td><td class="num">{{p.premium}}</td><td>{{p.next_due_date or ''}}</td></tr>
  % end
</table>
% if ctx.can('send') and c.mobile:
<p><a class="button" href="/send?to={{c.mobile}}">{{_('Send SMS')}}</a></p>
% end
